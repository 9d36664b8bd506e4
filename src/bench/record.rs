//! The machine-readable record of a bench run (`target/fanout/metrics.json`): every cell of the
//! matrix with its status (ok, skipped or failed, with the reason), its floors, and every round
//! it was measured in: the cold batch's resource costs and each timed batch. Every published
//! number is computed from this file alone, so a report can only ever describe one run. The
//! file is rewritten after every cell of every round, so an interrupted run keeps everything
//! measured so far.

use super::sampling::RoundPlan;
use crate::calibrate::Calibration;
use crate::fsio::{self, FsError};
use crate::metrics::{BatchMetrics, TimedBatch};
use crate::probe::ProbeRecord;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The version of this file's format; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 3;

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

/// Whether the run measured (and may be published) or only checked that every cell works.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Measure,
    /// `--test` / `cargo test --benches`: every cell once; never published.
    Test,
}

/// One round of one cell, measured in a process of its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundRecord {
    /// Which round (1-based).
    pub round: usize,
    /// The cell's place in that round's shuffled order (1-based).
    pub position: usize,
    /// Resident set of the cell's process after setup (strategy built, requests prepared):
    /// the baseline its memory figure is measured from.
    pub setup_rss_bytes: u64,
    /// The process's peak resident set over the whole round (cold, warm and timed batches)
    /// above `setup_rss_bytes`, from the kernel's high-water mark, reset after setup.
    pub peak_rss_above_setup_bytes: u64,
    /// Threads of the process after setup.
    pub threads_after_setup: u64,
    /// The first batch of the fresh process (cold connections), with resources sampled.
    pub cold: BatchMetrics,
    /// Untimed batches run after the cold one: the plan's warm batches, and those added
    /// because a first timed batch still opened connections.
    #[serde(default)]
    pub warm_batches: usize,
    /// How long the cell's process took, start to result (setup and every batch included).
    #[serde(default)]
    pub process_ns: u64,
    /// The timed batches, every one verified and counted at the server.
    pub timed: Vec<TimedBatch>,
    /// Timed batches measured again because the host stole more than
    /// [`super::cell::STEAL_LIMIT`] of the CPUs' time while they ran (kept, never published).
    #[serde(default)]
    pub stolen: Vec<TimedBatch>,
    /// The round's probe batch (untimed, after the timed ones): in every round of a cell with
    /// warm batches, in the first round only of a longer one.
    #[serde(default)]
    pub probe: Option<ProbeRecord>,
}

/// One workload x strategy cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellRecord {
    pub workload: String,
    pub strategy: String,
    pub family: crate::strategy::Family,
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
    /// Warm and timed batches per round, decided in the first round.
    pub plan: Option<RoundPlan>,
    /// The rounds this cell takes (as many as its budget holds, within the profile's bounds),
    /// decided from its first round's time.
    #[serde(default)]
    pub planned_rounds: Option<usize>,
    /// The rounds measured so far, in run order.
    pub rounds: Vec<RoundRecord>,
}

impl CellRecord {
    /// `workload/strategy`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.workload, self.strategy)
    }
}

/// A whole bench run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub schema_version: u32,
    pub profile: String,
    #[serde(default)]
    pub mode: Mode,
    /// How the mock server ran: child-process, in-process or remote.
    pub server: String,
    pub server_url: String,
    /// The server's worker threads and the core they were pinned to (none: not pinned);
    /// absent for a server started elsewhere.
    #[serde(default)]
    pub server_threads: Option<usize>,
    #[serde(default)]
    pub server_core: Option<usize>,
    pub started_unix: u64,
    /// The most rounds a cell takes (each cell's own count is in its record), and the seed of
    /// the rounds' shuffled orders.
    pub rounds: usize,
    pub seed: u64,
    /// The machine, toolchain and commit the cells were measured with (absent in records
    /// written before it was kept; the report then describes the machine it runs on).
    #[serde(default)]
    pub context: Option<crate::report::context::Context>,
    pub calibration: Option<Calibration>,
    /// The machine's pace in each round: the fresh mock server's capacity (requests per
    /// second over 64 connections, 0.3 s), measured as the round starts. A shared machine
    /// whose neighbours get busy shows it here first.
    #[serde(default)]
    pub round_capacity_rps: Vec<f64>,
    /// The host's steal while each pace was measured: the share of all CPUs' time the
    /// hypervisor gave to other machines (0.25: a quarter).
    #[serde(default)]
    pub round_steal_share: Vec<f64>,
    pub cells: Vec<CellRecord>,
}

impl RunRecord {
    /// Writes the record atomically; compact, not pretty: the probe batches' spans make it large
    /// (`jq .` reads it).
    pub fn save(&self, path: &Path) -> Result<(), FsError> {
        let json = serde_json::to_vec(self).expect("the record serializes");
        fsio::write_atomic(path, &json)
    }
}
