//! Horizontal bars, one per strategy, coloured by family, with optional confidence whiskers and a
//! reference line (the floor): time per strategy, CPU per request, connections per batch.

use super::{chart_err, family_color, fmt_value, needs_log, ChartError, FAMILIES, FONT, WIDTH};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub struct Bar {
    pub label: String,
    pub family: String,
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
        (lo.log10().floor(), hi.log10().ceil())
    } else {
        (
            0.0,
            values.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.08,
        )
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let n = c.bars.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption(&c.title, (FONT, 18))
            .margin(10)
            .margin_left(LEFT)
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
            let color = family_color(&b.family);
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
                    chart
                        .draw_series(std::iter::once(Text::new(
                            format!(" {}", b.note),
                            (t(v), y + 0.5),
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
        if let Some((v, label)) = &c.reference {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(t(*v), 0.0), (t(*v), n)],
                    BLACK.stroke_width(2),
                )))
                .map_err(|e| err(&e))?
                .label(label.clone())
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], BLACK.stroke_width(2))
                });
        }
        for f in FAMILIES {
            if c.bars.iter().any(|b| b.family == f) {
                let color = family_color(f);
                chart
                    .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())
                    .map_err(|e| err(&e))?
                    .label(f)
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled())
                    });
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 12))
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}
