//! The report fixture (tests/fixtures/run), shared by the report, compare and export tests.
#![allow(dead_code)]

use fanout_bench::report::{self, summary::Summary, Inputs};
use std::path::{Path, PathBuf};

/// The inputs of the fixture: the bench record of a real run of tests/fixtures/profile.toml
/// (one cell's status edited to `failed`).
pub fn fixture() -> Inputs {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run");
    Inputs {
        record: dir.join("metrics.json"),
        workspace: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        rerun: None,
    }
}

/// The fixture's summary.
pub fn summary() -> Summary {
    report::summarize(&fixture(), 1).unwrap()
}
