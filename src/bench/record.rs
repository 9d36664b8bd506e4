//! The machine-readable record of a bench run (`target/fanout/metrics.json`): every cell of the
//! matrix with its status (ok, skipped or failed, with the reason), its floors and the resource
//! costs of its metrics batches. Criterion keeps the timings under `target/criterion/`; the
//! report joins the two. The file is rewritten after every cell, so an interrupted run keeps
//! everything measured so far.

use crate::calibrate::Calibration;
use crate::fsio::{self, FsError};
use crate::metrics::BatchMetrics;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The version of this file's format; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Where the benches write their record.
pub fn default_path() -> PathBuf {
    fsio::target_dir().join("fanout").join("metrics.json")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Skipped,
    Failed,
}

/// One workload x strategy cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellRecord {
    pub workload: String,
    pub strategy: String,
    pub family: String,
    pub mirrors: String,
    pub requests: usize,
    pub bytes: u64,
    /// The concurrency the floor was computed for (`null`: unbounded).
    pub concurrency_limit: Option<usize>,
    pub floor_ns: u64,
    /// The floor with the calibrated per-request overhead and server capacity, if calibrated.
    pub calibrated_floor_ns: Option<u64>,
    pub status: Status,
    pub reason: Option<String>,
    /// Samples criterion was asked for (`null` when not measured).
    pub samples: Option<usize>,
    pub batches: Vec<BatchMetrics>,
}

/// A whole bench run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub schema_version: u32,
    pub profile: String,
    /// How the mock server ran: child-process, in-process or remote.
    pub server: String,
    pub server_url: String,
    pub started_unix: u64,
    /// The machine, toolchain and commit the cells were measured with (absent in records
    /// written before it was kept; the report then describes the machine it runs on).
    #[serde(default)]
    pub context: Option<crate::report::context::Context>,
    pub calibration: Option<Calibration>,
    pub cells: Vec<CellRecord>,
}

impl RunRecord {
    /// Writes the record atomically.
    pub fn save(&self, path: &Path) -> Result<(), FsError> {
        let json = serde_json::to_vec_pretty(self).expect("the record serializes");
        fsio::write_atomic(path, &json)
    }
}
