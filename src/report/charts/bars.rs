//! Horizontal bars, one per strategy, coloured by family, with optional confidence whiskers and a
//! reference line (the floor): time per strategy, CPU per request, connections per batch.

use super::{chart_err, family_color, fmt_value, needs_log, ChartError, FONT, WIDTH};
use crate::strategy::Family;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub struct Bar {
    pub label: String,
    pub family: Family,
    /// `None` draws no bar and shows `note` instead (a skipped or failed cell).
    pub value: Option<f64>,
    pub whisker: Option<(f64, f64)>,
    pub note: String,
}

pub struct BarChart {
    pub title: String,
    pub x_label: String,
    pub bars: Vec<Bar>,
    /// A vertical reference line and its legend text.
    pub reference: Option<(f64, String)>,
}

const LEFT: u32 = 290;
const ROW: u32 = 24;
const LEGEND_ROW: u32 = 22;

/// One legend entry, laid out in rows under the chart (drawn outside the plot, where it can
/// never cover a bar or its label).
struct LegendEntry {
    text: String,
    /// `None`: the reference line's swatch; otherwise the family's colour.
    color: Option<RGBColor>,
    row: u32,
    x: i32,
}

fn legend_layout(c: &BarChart) -> Vec<LegendEntry> {
    let mut items: Vec<(String, Option<RGBColor>)> = Vec::new();
    if let Some((_, label)) = &c.reference {
        items.push((label.clone(), None));
    }
    for f in Family::ALL {
        if c.bars.iter().any(|b| b.family == f) {
            items.push((f.to_string(), Some(family_color(f))));
        }
    }
    let (mut row, mut x) = (0, 10);
    let mut out = Vec::new();
    for (text, color) in items {
        // About 6 px per character at 12 px, plus the swatch and a gap.
        let width = 22 + 6 * text.chars().count() as i32 + 22;
        if x > 10 && x + width > WIDTH as i32 - 10 {
            row += 1;
            x = 10;
        }
        out.push(LegendEntry {
            text,
            color,
            row,
            x,
        });
        x += width;
    }
    out
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[LegendEntry],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let style = TextStyle::from((FONT, 12).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for e in entries {
        let y = (e.row * LEGEND_ROW + LEGEND_ROW / 2) as i32;
        match e.color {
            None => area.draw(&PathElement::new(
                vec![(e.x, y), (e.x + 16, y)],
                BLACK.stroke_width(2),
            ))?,
            Some(color) => area.draw(&Rectangle::new(
                [(e.x, y - 5), (e.x + 14, y + 5)],
                color.filled(),
            ))?,
        }
        area.draw(&Text::new(e.text.clone(), (e.x + 22, y), style.clone()))?;
    }
    Ok(())
}

/// Draws the chart as an SVG document.
pub fn bars(c: &BarChart) -> Result<String, ChartError> {
    let err = chart_err(&c.title);
    let height = 110 + ROW * c.bars.len().max(1) as u32;
    let values: Vec<f64> = c
        .bars
        .iter()
        .flat_map(|b| [b.value, b.whisker.map(|w| w.1), b.whisker.map(|w| w.0)])
        .flatten()
        .chain(c.reference.as_ref().map(|r| r.0))
        .filter(|v| *v > 0.0)
        .collect();
    let log = needs_log(values.iter().copied());
    let t = |v: f64| if log { v.max(1e-12).log10() } else { v };
    let (lo, hi) = if log {
        let lo = values.iter().copied().fold(f64::MAX, f64::min);
        let hi = values.iter().copied().fold(0.0, f64::max);
        // Below the smallest value, so a reference line at a power of ten is not the axis.
        ((lo * 0.9).log10().floor(), hi.log10().ceil())
    } else {
        (
            0.0,
            values.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.08,
        )
    };
    let legend = legend_layout(c);
    let legend_height = legend.iter().map(|e| e.row + 1).max().unwrap_or(0) * LEGEND_ROW;
    let height = height + legend_height;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let (root, legend_area) = root.split_vertically(height - legend_height);
        let n = c.bars.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption(&c.title, (FONT, 18))
            .margin(10)
            .margin_left(LEFT)
            // Room for the last tick label, centred on the right edge.
            .margin_right(28)
            .x_label_area_size(40)
            .y_label_area_size(0)
            .build_cartesian_2d(lo..hi, 0.0..n)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_desc(if log {
                format!("{} (log scale)", c.x_label)
            } else {
                c.x_label.clone()
            })
            .x_label_formatter(&|v| fmt_value(if log { 10f64.powf(*v) } else { *v }))
            .x_labels(8)
            .draw()
            .map_err(|e| err(&e))?;
        let label_style =
            TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
        let note_style = TextStyle::from((FONT, 12).into_font()).color(&RGBColor(90, 90, 90));
        for (i, b) in c.bars.iter().enumerate() {
            // Row 0 at the top.
            let y = n - i as f64 - 1.0;
            let (px, py) = chart.backend_coord(&(lo, y + 0.5));
            root.draw(&Text::new(
                b.label.clone(),
                (px - 6, py),
                label_style.clone(),
            ))
            .map_err(|e| err(&e))?;
            let color = family_color(b.family);
            match b.value {
                Some(v) if v > 0.0 => {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(lo, y + 0.18), (t(v), y + 0.82)],
                            color.filled(),
                        )))
                        .map_err(|e| err(&e))?;
                    if let Some((a, z)) = b.whisker {
                        let style = BLACK.stroke_width(1);
                        chart
                            .draw_series([
                                PathElement::new(vec![(t(a), y + 0.5), (t(z), y + 0.5)], style),
                                PathElement::new(vec![(t(a), y + 0.32), (t(a), y + 0.68)], style),
                                PathElement::new(vec![(t(z), y + 0.32), (t(z), y + 0.68)], style),
                            ])
                            .map_err(|e| err(&e))?;
                    }
                    // The note goes past the whisker, which would strike through it.
                    let end = b.whisker.map_or(v, |(_, z)| z.max(v));
                    chart
                        .draw_series(std::iter::once(Text::new(
                            format!(" {}", b.note),
                            (t(end), y + 0.5),
                            note_style.clone().pos(Pos::new(HPos::Left, VPos::Center)),
                        )))
                        .map_err(|e| err(&e))?;
                }
                _ => {
                    chart
                        .draw_series(std::iter::once(Text::new(
                            b.note.clone(),
                            (lo, y + 0.5),
                            note_style.clone().pos(Pos::new(HPos::Left, VPos::Center)),
                        )))
                        .map_err(|e| err(&e))?;
                }
            }
        }
        if let Some((v, _)) = &c.reference {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(t(*v), 0.0), (t(*v), n)],
                    BLACK.stroke_width(2),
                )))
                .map_err(|e| err(&e))?;
        }
        draw_legend(&legend_area, &legend).map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}
