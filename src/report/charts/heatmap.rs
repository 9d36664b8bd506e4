//! Efficiency (floor / measured) as a strategy x workload heat map: 1.0 is the floor itself.

use super::{chart_err, ChartError, FONT, WIDTH};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One cell: `Some(efficiency)` or `None` with a short note (skipped, failed, missing).
pub struct HeatCell {
    pub efficiency: Option<f64>,
    pub note: &'static str,
}

fn color(e: f64) -> RGBColor {
    // Red (far from the floor) through yellow to green (at the floor).
    let e = e.clamp(0.0, 1.0);
    if e < 0.5 {
        RGBColor(215, (60.0 + 330.0 * e) as u8, 60)
    } else {
        RGBColor((215.0 - 330.0 * (e - 0.5)) as u8, 195, 60)
    }
}

/// Draws rows (strategies) x columns (workloads); `cells[row][col]`.
pub fn heatmap(
    rows: &[String],
    cols: &[String],
    cells: &[Vec<HeatCell>],
) -> Result<String, ChartError> {
    let err = chart_err("the efficiency heat map");
    let left = 290u32;
    let top = 150u32;
    let cell_h = 22u32;
    let height = top + 30 + cell_h * rows.len().max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        root.draw(&Text::new(
            "Efficiency: achievable floor / measured median (1.00 = at the floor)",
            (10, 10),
            (FONT, 18).into_font(),
        ))
        .map_err(|e| err(&e))?;
        let (nc, nr) = (cols.len().max(1), rows.len().max(1));
        let cell_w = (WIDTH - left - 20) / nc as u32;
        let label =
            TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
        let value =
            TextStyle::from((FONT, 11).into_font()).pos(Pos::new(HPos::Center, VPos::Center));
        for (j, c) in cols.iter().enumerate() {
            let x = (left + cell_w * j as u32 + cell_w / 2) as i32;
            let style = TextStyle::from((FONT, 12).into_font().transform(FontTransform::Rotate270))
                .pos(Pos::new(HPos::Left, VPos::Center));
            root.draw(&Text::new(c.clone(), (x, top as i32 - 6), style))
                .map_err(|e| err(&e))?;
        }
        for (i, r) in rows.iter().enumerate().take(nr) {
            let y = (top + cell_h * i as u32) as i32;
            root.draw(&Text::new(
                r.clone(),
                (left as i32 - 6, y + cell_h as i32 / 2),
                label.clone(),
            ))
            .map_err(|e| err(&e))?;
            for j in 0..nc {
                let x = (left + cell_w * j as u32) as i32;
                let cell = cells.get(i).and_then(|row| row.get(j));
                let (fill, text) = match cell {
                    Some(HeatCell {
                        efficiency: Some(e),
                        ..
                    }) => (color(*e), format!("{e:.2}")),
                    Some(HeatCell { note, .. }) => (RGBColor(225, 225, 225), note.to_string()),
                    None => (RGBColor(245, 245, 245), String::new()),
                };
                root.draw(&Rectangle::new(
                    [
                        (x + 1, y + 1),
                        (x + cell_w as i32 - 1, y + cell_h as i32 - 1),
                    ],
                    fill.filled(),
                ))
                .map_err(|e| err(&e))?;
                root.draw(&Text::new(
                    text,
                    (x + cell_w as i32 / 2, y + cell_h as i32 / 2),
                    value.clone(),
                ))
                .map_err(|e| err(&e))?;
            }
        }
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}
