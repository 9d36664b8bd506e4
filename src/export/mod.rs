//! Exports of a run's summary for the common tracking services, one format per file behind one
//! single-method trait. Only verified, measured cells are exported. Both carry, beside the wall
//! time, what this project exists to show: the ratio to the achievable floor (comparable across
//! machines), client CPU per request, threads added, peak memory and connections opened.

mod bmf;
mod github;

use crate::cli::ExportFormat;
use crate::report::summary::{Cell, CellStatus, Summary};

/// One export format.
pub trait Exporter {
    /// The exported document.
    fn export(&self, summary: &Summary) -> String;
}

/// The document of `format` for `summary`.
pub fn export(format: ExportFormat, summary: &Summary) -> String {
    let exporter: &dyn Exporter = match format {
        ExportFormat::Bmf => &bmf::Bmf,
        ExportFormat::Github => &github::CustomSmallerIsBetter,
    };
    exporter.export(summary)
}

/// A metric exported beside the wall time: its key (a BMF measure slug, and the suffix of a
/// github-action-benchmark entry's name), its unit, and its value for a cell (absent when the
/// cell has none, e.g. threads of a Python peer, whose process is not the cell's).
pub struct Extra {
    pub key: &'static str,
    pub unit: &'static str,
    pub value: fn(&Cell) -> Option<f64>,
}

/// The metrics beside the wall time, in export order. Smaller is better for each.
pub const EXTRAS: &[Extra] = &[
    Extra {
        key: "floor-ratio",
        unit: "x floor",
        value: |c| c.ratio_to_floor,
    },
    Extra {
        key: "cpu-per-request",
        unit: "ns/request",
        value: |c| c.cpu_per_request_ns.map(|v| v as f64),
    },
    Extra {
        key: "threads",
        unit: "threads",
        value: |c| c.peak_threads_added.map(|v| v as f64),
    },
    Extra {
        key: "peak-rss",
        unit: "bytes",
        value: |c| c.peak_rss_above_baseline_bytes.map(|v| v as f64),
    },
    Extra {
        key: "connections",
        unit: "connections",
        value: |c| c.connections_cold.map(|v| v as f64),
    },
];

/// The cells an export carries: verified, measured in every round, with a time and interval.
fn exported(s: &Summary) -> impl Iterator<Item = (&Cell, [f64; 3])> {
    s.cells
        .iter()
        .filter(|c| c.status == CellStatus::Ok)
        .filter_map(|c| Some((c, [c.median_ns?, c.ci_lower_ns?, c.ci_upper_ns?])))
}
