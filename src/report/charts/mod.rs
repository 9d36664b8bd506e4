//! The report's charts, one kind per file, drawn by plotters to SVG (the timelines, thousands of
//! bars, as SVG paths of their own). Colours, sizes and fonts
//! live here, in one place. Values spanning more than 100x are drawn on a log10 axis (the values
//! are transformed and the ticks labelled with the original units).

mod bars;
mod heatmap;
mod scaling;
mod timeline;

pub use bars::{bars, Bar, BarChart};
pub use heatmap::{heatmap, HeatCell};
pub use scaling::{scaling, Series};
pub use timeline::{timeline, Strip};

use crate::strategy::Family;
use plotters::style::RGBColor;

/// Chart width in pixels: GitHub renders README images up to about this wide.
pub const WIDTH: u32 = 880;
pub const FONT: &str = "sans-serif";

/// The colour of a strategy family.
pub fn family_color(family: Family) -> RGBColor {
    match family {
        Family::Sequential => RGBColor(120, 120, 120),
        Family::Threads => RGBColor(31, 119, 180),
        Family::Offload => RGBColor(255, 127, 14),
        Family::Gather => RGBColor(44, 160, 44),
        Family::Bridge => RGBColor(148, 103, 189),
        Family::Antipattern => RGBColor(214, 39, 40),
        Family::Python => RGBColor(23, 160, 180),
    }
}

/// Whether values spread widely enough to need a log axis.
pub fn needs_log(values: impl Iterator<Item = f64>) -> bool {
    let (mut lo, mut hi) = (f64::MAX, 0.0f64);
    for v in values.filter(|v| *v > 0.0) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    hi > 0.0 && lo < f64::MAX && hi / lo > 100.0
}

/// A tick label for a value in `unit`, compact.
pub fn fmt_value(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// A drawing error, as text (plotters' error types are generic over the backend).
#[derive(Debug, thiserror::Error)]
#[error("cannot draw {chart}: {reason}")]
pub struct ChartError {
    pub chart: String,
    pub reason: String,
}

pub(crate) fn chart_err(chart: &str) -> impl Fn(&dyn std::fmt::Debug) -> ChartError + '_ {
    move |e| ChartError {
        chart: chart.to_owned(),
        reason: format!("{e:?}"),
    }
}
