//! Exports of a run's summary for the common tracking services, one format per file behind one
//! single-method trait. Only verified, measured cells are exported.

mod bmf;
mod github;

use crate::report::summary::Summary;

/// One export format.
pub trait Exporter {
    /// The exported document.
    fn export(&self, summary: &Summary) -> String;
}

/// The formats, by the name `--format` takes.
pub fn by_name(name: &str) -> Option<Box<dyn Exporter>> {
    match name {
        "bmf" => Some(Box::new(bmf::Bmf)),
        "github" => Some(Box::new(github::CustomSmallerIsBetter)),
        _ => None,
    }
}

/// The names `--format` accepts.
pub const FORMATS: &[&str] = &["bmf", "github"];
