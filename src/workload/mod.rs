//! A workload: N requests with a latency model, a payload size, a fault plan and a client
//! timeout, all decided from a seed, so every run asks the server for exactly the same thing and
//! the ideal floor is exact.
//!
//! Workloads are written in TOML (one file per profile under `workloads/`):
//!
//! ```toml
//! [[workload]]
//! name = "n100-10ms"             # letters, digits, '-', '_' and '.'; unique in the file
//! requests = 100                 # N, 1..=1000000
//! bytes = 1024                   # body size of every response, 0..=64 MiB
//! latency = { model = "fixed", ms = 10 }
//! # or { model = "uniform", min_ms = 5, max_ms = 15 }
//! # or { model = "lognormal", median_ms = 10, sigma = 0.5, max_ms = 1000 }
//! # or { model = "pareto", scale_ms = 5, shape = 1.5, max_ms = 1000 }
//! timeout_ms = 5000              # per request, the same for every client (default 5000)
//! seed = 1                       # decides latencies and fault positions (default 1)
//! concurrency = 64               # K for the strategies that limit concurrency (default 64)
//! cpu_work = 0                   # rounds of per-response processing (default 0)
//! faults = { status_500 = 0.02, reset = 0.02, stall = 0.01, truncated = 0.02 }
//! ```
//!
//! Fault fractions are exact counts (`round(fraction * N)` requests each) at seeded positions.
//! Unknown keys and impossible values are rejected with an error naming the file, the workload,
//! the field and the allowed range.

mod file;
mod plan;
mod validate;

pub use file::{ProfileFile, ProfileSettings, WorkloadError};

use crate::outcome::Expected;
use mock_server::{Fault, Limits};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long each request waits at the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "lowercase", deny_unknown_fields)]
pub enum Latency {
    /// Every request waits `ms`.
    Fixed { ms: f64 },
    /// Uniform in `[min_ms, max_ms]`.
    Uniform { min_ms: f64, max_ms: f64 },
    /// Log-normal with this median and shape `sigma`, cut at `max_ms`.
    Lognormal {
        median_ms: f64,
        sigma: f64,
        #[serde(default = "cap_ms")]
        max_ms: f64,
    },
    /// Pareto (heavy-tailed) with minimum `scale_ms` and tail index `shape`, cut at `max_ms`.
    Pareto {
        scale_ms: f64,
        shape: f64,
        #[serde(default = "cap_ms")]
        max_ms: f64,
    },
}

fn cap_ms() -> f64 {
    Limits::default().max_latency.as_secs_f64() * 1000.0
}

/// The fraction of requests that get each fault.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultPlan {
    pub status_500: f64,
    pub reset: f64,
    pub stall: f64,
    pub truncated: f64,
}

impl FaultPlan {
    fn fractions(&self) -> [(Fault, &'static str, f64); 4] {
        [
            (Fault::Status500, "faults.status_500", self.status_500),
            (Fault::Reset, "faults.reset", self.reset),
            (Fault::Stall, "faults.stall", self.stall),
            (Fault::Truncated, "faults.truncated", self.truncated),
        ]
    }

    /// Whether any fault is planned.
    pub fn any(&self) -> bool {
        self.fractions().iter().any(|(_, _, f)| *f > 0.0)
    }
}

/// One workload, as written in a profile file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub requests: usize,
    pub bytes: u64,
    pub latency: Latency,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    #[serde(default)]
    pub cpu_work: u64,
    #[serde(default)]
    pub faults: FaultPlan,
}

fn default_timeout_ms() -> u64 {
    5000
}
fn default_seed() -> u64 {
    1
}
fn default_concurrency() -> usize {
    64
}

/// The most requests one workload may have.
pub const MAX_REQUESTS: usize = 1_000_000;
/// The margin a request's latency must leave under the timeout, so only stalls time out.
pub const TIMEOUT_MARGIN: Duration = Duration::from_millis(100);

/// What one request will do at the server, decided by the workload's seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Planned {
    pub latency: Duration,
    pub fault: Option<Fault>,
}

/// One prepared request: where to send it and what it must come to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub index: usize,
    pub url: String,
    pub planned: Planned,
    pub expected: Expected,
}
