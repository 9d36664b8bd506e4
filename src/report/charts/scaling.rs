//! One line per strategy, median wall time on a log axis: against N (log) for a profile that
//! sweeps N, or against the run number for the history of recorded runs.

use super::{chart_err, family_color, fmt_value, ChartError, FONT, WIDTH};
use crate::strategy::Family;
use plotters::prelude::*;

/// One strategy's points: (N, median seconds).
pub struct Series {
    pub label: String,
    pub family: Family,
    pub points: Vec<(f64, f64)>,
}

/// Draws the series; y is log10, x is log10 when `x_log`.
pub fn scaling(
    title: &str,
    x_desc: &str,
    x_log: bool,
    series: &[Series],
) -> Result<String, ChartError> {
    let err = chart_err(title);
    let tx = |n: f64| if x_log { n.log10() } else { n };
    let pts = || {
        series
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|(n, t)| *n > 0.0 && *t > 0.0)
    };
    let (x0, x1) = pts().fold((f64::MAX, f64::MIN), |(a, b), (n, _)| {
        (a.min(tx(*n)), b.max(tx(*n)))
    });
    let (y0, y1) = pts().fold((f64::MAX, f64::MIN), |(a, b), (_, t)| {
        (a.min(t.log10()), b.max(t.log10()))
    });
    if x0 > x1 || y0 > y1 {
        return Err(ChartError {
            chart: title.into(),
            reason: "no measured point".into(),
        });
    }
    let mut svg = String::new();
    {
        let height = 560.max(60 + 16 * series.len() as u32);
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        // The plot on the left, the legend beside it, so no line hides behind the legend.
        let (plot, legend) = root.split_horizontally(WIDTH - 270);
        let (xa, xb, ya, yb) = (
            x0.floor(),
            x1.ceil().max(x0.floor() + 1.0),
            y0.floor(),
            y1.ceil().max(y0.floor() + 1.0),
        );
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, (FONT, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(xa..xb, ya..yb)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_labels((xb - xa) as usize + 1)
            .y_labels((yb - ya) as usize + 1)
            .x_desc(x_desc)
            .y_desc("median wall time per batch, ms (log scale)")
            .x_label_formatter(&|v| fmt_value(if x_log { 10f64.powf(*v) } else { *v }))
            .y_label_formatter(&|v| fmt_value(10f64.powf(*v) * 1000.0))
            .draw()
            .map_err(|e| err(&e))?;
        let mut seen: Vec<Family> = Vec::new();
        for (i, s) in series.iter().enumerate() {
            // Members of one family share its hue, lighter for each further member.
            let nth = seen.iter().filter(|f| **f == s.family).count();
            seen.push(s.family);
            let base = family_color(s.family);
            let k = (nth as f64 * 0.22).min(0.7);
            let mix = |c: u8| (f64::from(c) + (235.0 - f64::from(c)) * k) as u8;
            let color = RGBColor(mix(base.0), mix(base.1), mix(base.2));
            let y = 40 + 16 * i as i32;
            legend
                .draw(&PathElement::new(
                    vec![(8, y), (30, y)],
                    color.stroke_width(3),
                ))
                .map_err(|e| err(&e))?;
            legend
                .draw(&Text::new(
                    s.label.clone(),
                    (36, y - 6),
                    (FONT, 11).into_font(),
                ))
                .map_err(|e| err(&e))?;
            let line: Vec<(f64, f64)> = s
                .points
                .iter()
                .filter(|(n, t)| *n > 0.0 && *t > 0.0)
                .map(|(n, t)| (tx(*n), t.log10()))
                .collect();
            chart
                .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))
                .map_err(|e| err(&e))?;
            chart
                .draw_series(line.into_iter().map(|p| Circle::new(p, 3, color.filled())))
                .map_err(|e| err(&e))?;
        }
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}
