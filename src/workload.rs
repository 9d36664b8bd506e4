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

use crate::bench::sampling::Sampling;
use crate::floor;
use crate::outcome::{ErrorKind, Expected};
use mock_server::body::expected_checksum;
use mock_server::{Fault, Limits, Params};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Pareto};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
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

/// A workload file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error("cannot read workload file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("{path}: workload {workload:?}: {field} {problem}")]
    Invalid {
        path: PathBuf,
        workload: String,
        field: &'static str,
        problem: String,
    },
}

/// A profile file: its settings and its workloads, in file order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    #[serde(default)]
    pub profile: ProfileSettings,
    /// How the benches sample this profile's cells (the `[sampling]` table).
    #[serde(default)]
    pub sampling: Sampling,
    pub workload: Vec<Workload>,
}

/// Settings of a profile as a whole.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSettings {
    #[serde(default)]
    pub description: String,
}

impl ProfileFile {
    /// Reads and validates a profile file.
    pub fn load(path: &Path) -> Result<ProfileFile, WorkloadError> {
        let text = std::fs::read_to_string(path).map_err(|source| WorkloadError::Read {
            path: path.to_owned(),
            source,
        })?;
        ProfileFile::parse(&text, path)
    }

    /// Parses and validates the text of a profile file; `path` is only used in errors.
    pub fn parse(text: &str, path: &Path) -> Result<ProfileFile, WorkloadError> {
        let file: ProfileFile = toml::from_str(text).map_err(|e| WorkloadError::Parse {
            path: path.to_owned(),
            source: Box::new(e),
        })?;
        file.sampling
            .validate()
            .map_err(|(field, problem)| WorkloadError::Invalid {
                path: path.to_owned(),
                workload: "(sampling)".into(),
                field,
                problem,
            })?;
        let mut seen = std::collections::HashSet::new();
        for w in &file.workload {
            w.validate()
                .map_err(|(field, problem)| WorkloadError::Invalid {
                    path: path.to_owned(),
                    workload: w.name.clone(),
                    field,
                    problem,
                })?;
            if !seen.insert(w.name.as_str()) {
                return Err(WorkloadError::Invalid {
                    path: path.to_owned(),
                    workload: w.name.clone(),
                    field: "name",
                    problem: "is used by two workloads; names must be unique".into(),
                });
            }
        }
        Ok(file)
    }
}

type Invalid = (&'static str, String);

fn check(ok: bool, field: &'static str, problem: impl FnOnce() -> String) -> Result<(), Invalid> {
    if ok {
        Ok(())
    } else {
        Err((field, problem()))
    }
}

fn check_ms(field: &'static str, v: f64, min_exclusive: bool) -> Result<(), Invalid> {
    let cap = cap_ms();
    let low_ok = if min_exclusive { v > 0.0 } else { v >= 0.0 };
    let low = if min_exclusive { "(0" } else { "[0" };
    check(v.is_finite() && low_ok && v <= cap, field, || {
        format!("= {v} is outside {low}, {cap}] milliseconds (the server's latency cap)")
    })
}

impl Workload {
    /// Checks every field; the error names the field and the allowed range.
    pub fn validate(&self) -> Result<(), Invalid> {
        let name_ok = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        check(name_ok, "name", || {
            format!(
                "= {:?} must be non-empty and use only letters, digits, '-', '_' and '.'",
                self.name
            )
        })?;
        check(
            (1..=MAX_REQUESTS).contains(&self.requests),
            "requests",
            || format!("= {} is outside [1, {MAX_REQUESTS}]", self.requests),
        )?;
        let max_bytes = Limits::default().max_bytes;
        check(self.bytes <= max_bytes, "bytes", || {
            format!(
                "= {} is outside [0, {max_bytes}] (the server's cap)",
                self.bytes
            )
        })?;
        check(self.concurrency >= 1, "concurrency", || {
            "= 0 is outside [1, ...): it is the K of pool-K and buffer-unordered-K".into()
        })?;
        match self.latency {
            Latency::Fixed { ms } => check_ms("latency.ms", ms, false)?,
            Latency::Uniform { min_ms, max_ms } => {
                check_ms("latency.min_ms", min_ms, false)?;
                check_ms("latency.max_ms", max_ms, false)?;
                check(min_ms <= max_ms, "latency.max_ms", || {
                    format!("= {max_ms} is below latency.min_ms = {min_ms}")
                })?;
            }
            Latency::Lognormal {
                median_ms,
                sigma,
                max_ms,
            } => {
                check_ms("latency.median_ms", median_ms, true)?;
                check(
                    sigma.is_finite() && sigma > 0.0 && sigma <= 10.0,
                    "latency.sigma",
                    || format!("= {sigma} is outside (0, 10]"),
                )?;
                check_ms("latency.max_ms", max_ms, true)?;
            }
            Latency::Pareto {
                scale_ms,
                shape,
                max_ms,
            } => {
                check_ms("latency.scale_ms", scale_ms, true)?;
                check(
                    shape.is_finite() && shape > 0.0 && shape <= 100.0,
                    "latency.shape",
                    || format!("= {shape} is outside (0, 100]"),
                )?;
                check_ms("latency.max_ms", max_ms, true)?;
            }
        }
        for (_, field, f) in self.faults.fractions() {
            check(f.is_finite() && (0.0..=1.0).contains(&f), field, || {
                format!("= {f} is outside [0, 1]")
            })?;
        }
        let sum: f64 = self.faults.fractions().iter().map(|(_, _, f)| f).sum();
        check(sum <= 1.0 + 1e-9, "faults", || {
            format!("add up to {sum}, more than 1 (every request at most one fault)")
        })?;
        check(
            self.faults.truncated == 0.0 || self.bytes >= 1,
            "faults.truncated",
            || "needs bytes >= 1: an empty body cannot be cut short".into(),
        )?;
        let cap = Limits::default().max_latency;
        check(
            self.timeout_ms >= 1 && Duration::from_millis(self.timeout_ms) < cap,
            "timeout_ms",
            || {
                format!(
                    "= {} is outside [1, {}): a stalled request must time out before the server's cap",
                    self.timeout_ms,
                    cap.as_millis()
                )
            },
        )?;
        let longest = self
            .plan()
            .iter()
            .filter(|p| p.fault != Some(Fault::Stall))
            .map(|p| p.latency)
            .max()
            .unwrap_or_default();
        check(
            longest + TIMEOUT_MARGIN < self.timeout(),
            "timeout_ms",
            || {
                format!(
                "= {} leaves no room for the longest planned latency ({} ms) plus a {} ms margin; \
                 raise timeout_ms or lower latency.max_ms",
                self.timeout_ms,
                longest.as_millis(),
                TIMEOUT_MARGIN.as_millis()
            )
            },
        )?;
        Ok(())
    }

    /// The per-request timeout every client uses.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// What each request does at the server, in order; the same for the same seed.
    pub fn plan(&self) -> Vec<Planned> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let to_dur = |ms: f64| Duration::from_micros((ms * 1000.0).round() as u64);
        let latencies: Vec<Duration> = match self.latency {
            Latency::Fixed { ms } => vec![to_dur(ms); self.requests],
            Latency::Uniform { min_ms, max_ms } => (0..self.requests)
                .map(|_| to_dur(min_ms + (max_ms - min_ms) * rng.random::<f64>()))
                .collect(),
            Latency::Lognormal {
                median_ms,
                sigma,
                max_ms,
            } => {
                let d = LogNormal::new(median_ms.ln(), sigma).expect("validated parameters");
                (0..self.requests)
                    .map(|_| to_dur(d.sample(&mut rng).min(max_ms)))
                    .collect()
            }
            Latency::Pareto {
                scale_ms,
                shape,
                max_ms,
            } => {
                let d = Pareto::new(scale_ms, shape).expect("validated parameters");
                (0..self.requests)
                    .map(|_| to_dur(d.sample(&mut rng).min(max_ms)))
                    .collect()
            }
        };
        let mut faults = vec![None; self.requests];
        let mut positions: Vec<usize> = (0..self.requests).collect();
        positions.shuffle(&mut ChaCha8Rng::seed_from_u64(self.seed ^ 0xfa17_5eed));
        let mut next = positions.into_iter();
        for (fault, _, fraction) in self.faults.fractions() {
            let count = (fraction * self.requests as f64).round() as usize;
            for i in next.by_ref().take(count) {
                faults[i] = Some(fault);
            }
        }
        latencies
            .into_iter()
            .zip(faults)
            .map(|(latency, fault)| Planned { latency, fault })
            .collect()
    }

    /// The time each request must take at best: its latency, or the timeout for a stall.
    pub fn durations(&self) -> Vec<Duration> {
        self.plan()
            .iter()
            .map(|p| match p.fault {
                Some(Fault::Stall) => self.timeout(),
                _ => p.latency,
            })
            .collect()
    }

    /// The ideal floor for a strategy with this concurrency limit (`None`: unbounded).
    pub fn floor(&self, limit: Option<usize>) -> Duration {
        let d = self.durations();
        match limit {
            None => floor::unbounded(&d),
            Some(k) => floor::in_order(&d, k),
        }
    }

    /// The prepared requests against a server at `base_url` (`http://host:port`).
    pub fn requests(&self, base_url: &str) -> Vec<Request> {
        let base = base_url.trim_end_matches('/');
        self.plan()
            .into_iter()
            .enumerate()
            .map(|(index, planned)| {
                let params = Params {
                    id: index as u64,
                    latency: planned.latency,
                    bytes: self.bytes,
                    fault: planned.fault,
                };
                let expected = match planned.fault {
                    None => Expected::Body {
                        bytes: self.bytes,
                        checksum: expected_checksum(params.id, self.bytes),
                    },
                    Some(Fault::Status500) => Expected::Status(500),
                    Some(Fault::Reset) => Expected::Error(ErrorKind::Reset),
                    Some(Fault::Stall) => Expected::Error(ErrorKind::Timeout),
                    Some(Fault::Truncated) => Expected::Error(ErrorKind::Truncated),
                };
                Request {
                    index,
                    url: format!("{base}{}", params.path_and_query()),
                    planned,
                    expected,
                }
            })
            .collect()
    }
}
