//! `summary.json`: every cell of a run joined from the bench record (status, floors, resource
//! costs) and criterion's estimates (median and confidence interval), plus the run's context.
//! This is the file every published number is traced to.
//!
//! Format (`schema_version` 1): `{schema_version, generated_unix, profile, server, context,
//! calibration, cells: [Cell]}`; times in nanoseconds, sizes in bytes. A cell's `status` is `ok`
//! (measured and verified), `skipped` or `failed` (with `reason`), or `missing` (the bench record
//! has it but criterion has no estimate for it, e.g. a filtered run).

use super::context::Context;
use super::criterion::Estimate;
use crate::calibrate::Calibration;
use crate::metrics::BatchMetrics;
use crate::record::{CellRecord, RunRecord, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of `summary.json`'s format.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub schema_version: u32,
    pub generated_unix: u64,
    /// When the bench run started (the date the numbers were measured).
    pub run_started_unix: u64,
    pub profile: String,
    pub server: String,
    pub context: Context,
    pub calibration: Option<Calibration>,
    pub cells: Vec<Cell>,
    /// Cells of the profile (every workload x every strategy) that this run did not include,
    /// e.g. after a criterion filter.
    #[serde(default)]
    pub not_run: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub workload: String,
    pub strategy: String,
    pub family: String,
    pub mirrors: String,
    /// `ok`, `skipped`, `failed` or `missing`.
    pub status: String,
    pub reason: Option<String>,
    pub requests: usize,
    pub bytes: u64,
    pub concurrency_limit: Option<usize>,
    pub median_ns: Option<f64>,
    pub ci_lower_ns: Option<f64>,
    pub ci_upper_ns: Option<f64>,
    pub floor_ns: u64,
    pub calibrated_floor_ns: Option<u64>,
    /// median / floor (1.0 is the floor itself).
    pub ratio_to_floor: Option<f64>,
    /// Client CPU (user + system) per batch and per request, median over the metrics batches.
    pub cpu_per_batch_ns: Option<u64>,
    pub cpu_per_request_ns: Option<u64>,
    pub context_switches: Option<u64>,
    /// Threads the batch added to the process at its peak.
    pub peak_threads_added: Option<u64>,
    pub peak_rss_bytes: Option<u64>,
    /// Connections opened by the first (cold) batch and by a warm one (median of the rest).
    pub connections_cold: Option<u64>,
    pub connections_warm: Option<u64>,
    pub peak_in_flight: Option<u64>,
    /// Outcomes other than `ok` in the first metrics batch, by class.
    pub errors: BTreeMap<String, usize>,
    pub faults_injected: BTreeMap<String, u64>,
}

fn median(mut v: Vec<u64>) -> Option<u64> {
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

fn of_batches(b: &[BatchMetrics], f: impl Fn(&BatchMetrics) -> u64) -> Option<u64> {
    median(b.iter().map(f).collect())
}

impl Cell {
    fn new(c: &CellRecord, estimate: Option<&Estimate>) -> Cell {
        let b = &c.batches;
        let status = match (c.status, estimate) {
            (Status::Ok, Some(_)) => "ok",
            (Status::Ok, None) => "missing",
            (Status::Skipped, _) => "skipped",
            (Status::Failed, _) => "failed",
        };
        let reason = match status {
            "missing" => Some("no criterion estimate for this cell (not run in this pass)".into()),
            _ => c.reason.clone(),
        };
        // Only verified, measured cells publish a time.
        let estimate = estimate.filter(|_| status == "ok");
        let cpu = of_batches(b, |m| m.user_ns + m.system_ns);
        let first = b.first();
        Cell {
            workload: c.workload.clone(),
            strategy: c.strategy.clone(),
            family: c.family.clone(),
            mirrors: c.mirrors.clone(),
            status: status.into(),
            reason,
            requests: c.requests,
            bytes: c.bytes,
            concurrency_limit: c.concurrency_limit,
            median_ns: estimate.map(|e| e.median_ns),
            ci_lower_ns: estimate.map(|e| e.lower_ns),
            ci_upper_ns: estimate.map(|e| e.upper_ns),
            floor_ns: c.floor_ns,
            calibrated_floor_ns: c.calibrated_floor_ns,
            ratio_to_floor: estimate
                .filter(|_| c.floor_ns > 0)
                .map(|e| e.median_ns / c.floor_ns as f64),
            cpu_per_batch_ns: cpu,
            cpu_per_request_ns: cpu.map(|n| n / c.requests.max(1) as u64),
            context_switches: of_batches(b, |m| m.voluntary_switches + m.involuntary_switches),
            peak_threads_added: of_batches(b, |m| {
                m.peak_threads.saturating_sub(m.threads_at_start)
            }),
            peak_rss_bytes: b.iter().map(|m| m.peak_rss_bytes).max(),
            connections_cold: first.map(|m| m.connections_opened),
            connections_warm: if b.len() > 1 {
                of_batches(&b[1..], |m| m.connections_opened)
            } else {
                None
            },
            peak_in_flight: b.iter().map(|m| m.peak_in_flight).max(),
            errors: first
                .map(|m| {
                    m.outcomes
                        .iter()
                        .filter(|(k, _)| *k != "ok")
                        .map(|(k, v)| (k.clone(), *v))
                        .collect()
                })
                .unwrap_or_default(),
            faults_injected: first
                .map(|m| {
                    m.faults_injected
                        .iter()
                        .filter(|(_, v)| **v > 0)
                        .map(|(k, v)| (k.clone(), *v))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The benchmark id (`workload/strategy`).
    pub fn id(&self) -> String {
        format!("{}/{}", self.workload, self.strategy)
    }
}

/// The cells of the record's profile that the record lacks (none if the profile is unknown).
fn not_run(record: &RunRecord) -> Vec<String> {
    let Ok(profile) = crate::profile::load(&record.profile) else {
        return Vec::new();
    };
    let have: std::collections::HashSet<String> = record
        .cells
        .iter()
        .map(|c| format!("{}/{}", c.workload, c.strategy))
        .collect();
    let strategies = crate::strategy::registry();
    profile
        .workload
        .iter()
        .flat_map(|w| {
            strategies
                .iter()
                .map(move |e| format!("{}/{}", w.name, e.info.id))
        })
        .filter(|id| !have.contains(id))
        .collect()
}

impl Summary {
    /// Joins a bench record and criterion's estimates (keyed by `workload/strategy`).
    pub fn build(
        record: &RunRecord,
        estimates: &BTreeMap<String, Estimate>,
        context: Context,
        generated_unix: u64,
    ) -> Summary {
        Summary {
            schema_version: SCHEMA_VERSION,
            generated_unix,
            run_started_unix: record.started_unix,
            profile: record.profile.clone(),
            server: record.server.clone(),
            context,
            calibration: record.calibration.clone(),
            cells: record
                .cells
                .iter()
                .map(|c| Cell::new(c, estimates.get(&format!("{}/{}", c.workload, c.strategy))))
                .collect(),
            not_run: not_run(record),
        }
    }

    /// A summary of criterion estimates alone (a saved criterion baseline): wall times only.
    pub fn from_estimates(estimates: &BTreeMap<String, Estimate>, profile: &str) -> Summary {
        let registry = crate::strategy::registry();
        let cells = estimates
            .iter()
            .filter_map(|(id, e)| {
                let (workload, strategy) = id.split_once('/')?;
                let info = registry
                    .iter()
                    .find(|r| r.info.id == strategy)
                    .map(|r| r.info);
                Some(Cell {
                    workload: workload.into(),
                    strategy: strategy.into(),
                    family: info.map_or("", |i| i.family.as_str()).into(),
                    mirrors: info.map_or("", |i| i.mirrors).into(),
                    status: "ok".into(),
                    reason: None,
                    requests: 0,
                    bytes: 0,
                    concurrency_limit: None,
                    median_ns: Some(e.median_ns),
                    ci_lower_ns: Some(e.lower_ns),
                    ci_upper_ns: Some(e.upper_ns),
                    floor_ns: 0,
                    calibrated_floor_ns: None,
                    ratio_to_floor: None,
                    cpu_per_batch_ns: None,
                    cpu_per_request_ns: None,
                    context_switches: None,
                    peak_threads_added: None,
                    peak_rss_bytes: None,
                    connections_cold: None,
                    connections_warm: None,
                    peak_in_flight: None,
                    errors: BTreeMap::new(),
                    faults_injected: BTreeMap::new(),
                })
            })
            .collect();
        Summary {
            schema_version: SCHEMA_VERSION,
            generated_unix: 0,
            run_started_unix: 0,
            profile: profile.into(),
            server: String::new(),
            context: Context::default(),
            calibration: None,
            cells,
            not_run: Vec::new(),
        }
    }

    /// The workloads in run order.
    pub fn workloads(&self) -> Vec<&str> {
        let mut v: Vec<&str> = Vec::new();
        for c in &self.cells {
            if !v.contains(&c.workload.as_str()) {
                v.push(&c.workload);
            }
        }
        v
    }

    /// The cells of one workload, fastest measured first, then the unmeasured in run order.
    pub fn ranked(&self, workload: &str) -> Vec<&Cell> {
        let mut v: Vec<&Cell> = self
            .cells
            .iter()
            .filter(|c| c.workload == workload)
            .collect();
        v.sort_by(|a, b| match (a.median_ns, b.median_ns) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        v
    }

    /// The measured cells of one workload, fastest first.
    pub fn measured(&self, workload: &str) -> Vec<&Cell> {
        self.ranked(workload)
            .into_iter()
            .filter(|c| c.median_ns.is_some())
            .collect()
    }

    /// One cell.
    pub fn cell(&self, workload: &str, strategy: &str) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.workload == workload && c.strategy == strategy)
    }
}
