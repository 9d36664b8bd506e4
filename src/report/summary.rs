//! `summary.json`: every cell of a run, built from the bench record alone (status, floors,
//! every round's batches and resource costs), plus the run's context. This is the file every
//! published number is traced to.
//!
//! Format (`schema_version` 4): `{schema_version, generated_unix, run_started_unix, profile,
//! server, server_threads, server_core, rounds, seed, context, calibration, round_capacity_rps,
//! floors: [WorkloadFloor], cells: [Cell], not_run, rerun}`; times in nanoseconds, sizes in
//! bytes. A cell's `status` is `ok` (measured in every round, every batch verified),
//! `skipped` or `failed` (with `reason`), or `missing` (the run ended before all its rounds).
//! `median_ns` is the median of all timed batches of all rounds; `ci_lower_ns`/`ci_upper_ns` its
//! 95% interval from a bootstrap over rounds, then batches; `p90_ns` and `max_ns` the tail;
//! `unstable` is set when p90 / median >= 1.5. `floor_ns` is the workload's achievable floor
//! (see [`super::floors`]), the same for every cell of a workload, and `ratio_to_floor` the
//! median over it; `own_floor_ns` / `ratio_to_own_floor` use the latency floor for the cell's
//! own concurrency ("how well it uses the concurrency it has"). Version 3 gave
//! `ratio_to_floor` that meaning (version 2 divided by the own floor) and added `floors`,
//! `own_floor_ns`, `ratio_to_own_floor` and the server's CPU (`server_cpu_per_request_ns`,
//! `server_busy`, `server_bound`). Version 4 added what the probe batches show (see
//! [`crate::probe`]; absent for cells without a probe batch): `request_latency` `{requests,
//! p50_ns, p90_ns, p99_ns, max_ns}` over every request of them, `allocations_per_request`,
//! `allocated_bytes_per_request` and `max_loop_stall_ns` (absent for a strategy without an
//! executor). The report writes one probe batch of every ok cell, request by request, to
//! `timelines.json` beside this file: `{"workload/strategy": {wall_us, spans_us: [[start, end]
//! or null, ...]}}`, microseconds from the batch's start, in request order. Python peers
//! (`fanout peers`) are cells of family `python` with `counterpart`, the Rust strategy each
//! corresponds to; their threads, memory and allocations are not published (their process is
//! not the cell's), their time and CPU are their own process's. Also in version 4:
//! `server_busy` is taken over the wall time less the host's steal, and a workload's floor
//! names in `raised_by` the cell whose time raised a calibrated rate (see [`super::floors`]);
//! `rerun.python` compares the peers apart from the Rust strategies.

use super::context::Context;
use super::floors::{self, WorkloadFloor};
use crate::bench::estimate::{self, Estimate};
use crate::bench::record::{CellRecord, Mode, RunRecord, Status};
use crate::calibrate::Calibration;
use crate::metrics::TimedBatch;
use crate::probe::ProbeRecord;
use crate::strategy::Family;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of `summary.json`'s format.
pub const SCHEMA_VERSION: u32 = 4;

/// `summary.json`'s JSON Schema, derived from these types (so it cannot drift from what is
/// written); checked in as `schema/summary.schema.json` and printed by `fanout schema`.
pub fn json_schema() -> serde_json::Value {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(Summary)).expect("a schema serializes");
    schema["title"] = format!("fanout-bench summary.json, schema_version {SCHEMA_VERSION}").into();
    schema["properties"]["schema_version"]["const"] = SCHEMA_VERSION.into();
    schema
}

/// Every cell of one run, with the run's context: the published record of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub schema_version: u32,
    pub generated_unix: u64,
    /// When the bench run started (the date the numbers were measured).
    pub run_started_unix: u64,
    pub profile: String,
    pub server: String,
    /// The server's worker threads and pinned core (see the record).
    #[serde(default)]
    pub server_threads: Option<usize>,
    #[serde(default)]
    pub server_core: Option<usize>,
    /// Rounds each cell was planned for, and the seed of their shuffled orders.
    pub rounds: usize,
    pub seed: u64,
    pub context: Context,
    pub calibration: Option<Calibration>,
    /// The mock server's capacity measured at the start of each round (the machine's pace).
    #[serde(default)]
    pub round_capacity_rps: Vec<f64>,
    /// The host's steal while each round's pace was measured (share of all CPUs' time).
    #[serde(default)]
    pub round_steal_share: Vec<f64>,
    /// The host's steal over every timed batch of the run, those measured again included:
    /// stolen CPU time / (wall x cores).
    #[serde(default)]
    pub steal_share: Option<f64>,
    /// Timed batches measured again for steal, over the run, and timed batches kept.
    #[serde(default)]
    pub stolen_batches: usize,
    #[serde(default)]
    pub timed_batches: usize,
    /// Each workload's achievable floor and its parts.
    pub floors: Vec<WorkloadFloor>,
    pub cells: Vec<Cell>,
    /// Cells of the profile (every workload x every strategy) that this run did not include,
    /// e.g. after a filter.
    #[serde(default)]
    pub not_run: Vec<String>,
    /// How far a second run of the same profile moved these numbers, if one was given.
    #[serde(default)]
    pub rerun: Option<Rerun>,
    /// Each ok cell's median probe batch, by cell id, for the timeline charts; written apart,
    /// to `timelines.json`, to keep this file small.
    #[serde(skip)]
    pub timelines: BTreeMap<String, Timeline>,
}

/// A second run compared with this one, cell by cell (`fanout report --rerun`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Rerun {
    pub run_started_unix: u64,
    pub regressions: usize,
    /// `fanout compare` of this run (baseline) with the rerun, on wall time at 10%, over the
    /// Rust strategies.
    pub spread: Spread,
    /// Cells measured here that the rerun did not measure, with the rerun's status.
    #[serde(default)]
    pub not_measured_in_rerun: Vec<String>,
    /// The Python peers, compared apart (`regressions` and `spread` above are the Rust
    /// strategies').
    #[serde(default)]
    pub python: Option<RerunPart>,
}

/// A part of the cells compared with the rerun.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RerunPart {
    pub regressions: usize,
    pub spread: Spread,
}

/// How far two runs differ over the cells both measured: the answer to "does a rerun confirm
/// these numbers?".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Spread {
    /// Cells with a value on both sides.
    pub compared: usize,
    /// |change| percentiles over them.
    pub median_abs_change_pct: f64,
    pub p90_abs_change_pct: f64,
    pub max_abs_change_pct: f64,
    /// Cells whose baseline median is at least 5 ms (wall time only), and how many of those
    /// moved less than the threshold.
    pub over_5ms: usize,
    pub over_5ms_within_threshold: usize,
    /// Cells whose current value lies inside the baseline's interval.
    pub inside_baseline_interval: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cell {
    pub workload: String,
    pub strategy: String,
    pub family: Family,
    pub mirrors: String,
    pub status: CellStatus,
    pub reason: Option<String>,
    pub requests: usize,
    pub bytes: u64,
    pub concurrency_limit: Option<usize>,
    /// Median wall time per batch over every timed batch of every round.
    pub median_ns: Option<f64>,
    /// The median's 95% interval (bootstrap over rounds, then batches within them).
    pub ci_lower_ns: Option<f64>,
    pub ci_upper_ns: Option<f64>,
    /// The tail: the 90th percentile and the slowest timed batch.
    pub p90_ns: Option<f64>,
    pub max_ns: Option<f64>,
    pub std_dev_ns: Option<f64>,
    /// Each round's median, in run order.
    pub round_medians_ns: Vec<f64>,
    /// Rounds measured, and timed batches over all of them.
    pub rounds: usize,
    pub batches: usize,
    /// p90 / median >= 1.5: the median alone misleads; never named a winner.
    pub unstable: bool,
    /// The workload's achievable floor (the same for every cell of the workload).
    pub floor_ns: u64,
    /// median / floor_ns: one scale for the whole workload (1.0 is the floor itself).
    pub ratio_to_floor: Option<f64>,
    /// The latency floor for this cell's own concurrency (sequential: the sum of latencies; K
    /// workers: the in-order makespan; unbounded: the longest request), and median over it.
    pub own_floor_ns: u64,
    pub ratio_to_own_floor: Option<f64>,
    /// The own floor with the calibrated per-request overhead and server capacity.
    pub calibrated_floor_ns: Option<u64>,
    /// Client CPU (user + system) per batch and per request, median over the timed batches.
    pub cpu_per_batch_ns: Option<u64>,
    pub cpu_per_request_ns: Option<u64>,
    /// The mock server's own CPU per request (median over the timed batches), and the share of
    /// one core it used while they ran, of the time the host gave this machine (wall less the
    /// host's steal; median): its cost, so a reader can tell the client's time from the
    /// server's.
    #[serde(default)]
    pub server_cpu_per_request_ns: Option<u64>,
    #[serde(default)]
    pub server_busy: Option<f64>,
    /// The host's steal over this cell's timed batches (those measured again included):
    /// stolen CPU time / (wall x cores).
    #[serde(default)]
    pub steal_share: Option<f64>,
    /// Timed batches measured again because the host stole more than 10% of the CPUs' time
    /// while they ran (they are in the record, not in the figures).
    #[serde(default)]
    pub stolen_batches: usize,
    /// The server used more than [`SERVER_BOUND`] of a core during the batches: the time then
    /// measures the server as much as the strategy.
    #[serde(default)]
    pub server_bound: bool,
    /// Context switches of the client per batch, median over the timed batches.
    pub context_switches: Option<u64>,
    /// The most threads alive at once during the cold batch above the count after setup,
    /// sampled every millisecond (median over rounds).
    pub peak_threads_added: Option<u64>,
    /// The peak resident set of the cell's own process above its resident set after setup, over
    /// a whole round (median over rounds).
    pub peak_rss_above_baseline_bytes: Option<u64>,
    /// Connections opened by the cold batch (median over rounds) and by a timed (warm) batch
    /// (median over them).
    pub connections_cold: Option<u64>,
    pub connections_warm: Option<u64>,
    pub peak_in_flight: Option<u64>,
    /// Outcomes other than `ok` in the first cold batch, by class.
    pub errors: BTreeMap<String, usize>,
    pub faults_injected: BTreeMap<String, u64>,
    /// Each request's time from the start of its fetch to its outcome, over every probe batch
    /// (see [`crate::probe`]).
    #[serde(default)]
    pub request_latency: Option<Latency>,
    /// Allocations (and bytes allocated) per request during a probe batch, by every thread of
    /// the cell's process; median over the probe batches.
    #[serde(default)]
    pub allocations_per_request: Option<f64>,
    #[serde(default)]
    pub allocated_bytes_per_request: Option<f64>,
    /// The longest a ready task waited on the strategy's executor during a probe batch, median
    /// over the probe batches; absent for a strategy that runs no executor.
    #[serde(default)]
    pub max_loop_stall_ns: Option<u64>,
    /// For a Python peer (`python/*`), the Rust strategy it corresponds to.
    #[serde(default)]
    pub counterpart: Option<String>,
}

/// What became of a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CellStatus {
    /// Measured in every planned round, every batch verified: the only status with figures.
    Ok,
    /// Not run, for the reason given (the budget rule, a limit of this machine, ...).
    Skipped,
    /// A batch failed verification or the cell's process failed; the reason says which.
    Failed,
    /// The run ended before every planned round of the cell.
    Missing,
}

impl CellStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CellStatus::Ok => "ok",
            CellStatus::Skipped => "skipped",
            CellStatus::Failed => "failed",
            CellStatus::Missing => "missing",
        }
    }
}

impl std::fmt::Display for CellStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Per-request latency percentiles, from an HDR histogram of microseconds (3 significant
/// digits).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Latency {
    /// Requests counted (every request of every probe batch).
    pub requests: u64,
    pub p50_ns: u64,
    pub p90_ns: u64,
    pub p99_ns: u64,
    pub max_ns: u64,
}

/// One probe batch of a cell, request by request, for its timeline (not in summary.json: the
/// report writes these to `timelines.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub wall_us: u64,
    /// Each request's start and end in microseconds from the batch's start (`null`: never began).
    pub spans_us: Vec<Option<[u32; 2]>>,
}

impl Latency {
    /// The percentiles of every request of `probes`; `None` with no request.
    fn of<'a>(probes: impl Iterator<Item = &'a ProbeRecord>) -> Option<Latency> {
        let mut h = hdrhistogram::Histogram::<u64>::new(3).ok()?;
        for p in probes {
            for us in p.latencies_us() {
                h.record(us.max(1)).ok()?;
            }
        }
        (!h.is_empty()).then(|| Latency {
            requests: h.len(),
            p50_ns: h.value_at_quantile(0.50) * 1000,
            p90_ns: h.value_at_quantile(0.90) * 1000,
            p99_ns: h.value_at_quantile(0.99) * 1000,
            max_ns: h.max() * 1000,
        })
    }
}

/// The probe batch whose wall time is the median of the cell's probe batches.
fn median_probe(c: &CellRecord) -> Option<&ProbeRecord> {
    let mut probes: Vec<&ProbeRecord> = c.rounds.iter().filter_map(|r| r.probe.as_ref()).collect();
    probes.sort_by_key(|p| p.wall_ns);
    probes.get(probes.len().saturating_sub(1) / 2).copied()
}

/// Every timed batch of a cell, those measured again for steal included.
fn all_timed(c: &CellRecord) -> impl Iterator<Item = &TimedBatch> {
    c.rounds
        .iter()
        .flat_map(|r| r.timed.iter().chain(&r.stolen))
}

/// Stolen CPU time / (wall x cores) over the batches that know their steal.
fn steal_share<'a>(batches: impl Iterator<Item = &'a TimedBatch>, cores: usize) -> Option<f64> {
    let (mut stolen, mut wall) = (0u64, 0u64);
    for b in batches {
        if let Some(s) = b.steal_ns {
            stolen += s;
            wall += b.wall_ns;
        }
    }
    (wall > 0).then(|| stolen as f64 / (wall as f64 * cores.max(1) as f64))
}

/// The share of one core the server used during a batch, of the time the host gave this
/// machine: its CPU time over the wall time less the host's steal (the steal's share of all
/// CPUs, taken as each thread's). Without the correction a host that steals a quarter of the
/// time would cap a saturated server at 0.75 of a core.
fn busy(b: &TimedBatch, cores: usize) -> f64 {
    let wall = b.wall_ns.max(1) as f64;
    let stolen = b
        .steal_ns
        .map_or(0.0, |s| s as f64 / (wall * cores.max(1) as f64));
    b.server_cpu_ns as f64 / (wall * (1.0 - stolen.clamp(0.0, 0.9)))
}

/// The share of one core above which a cell is marked server-bound.
pub const SERVER_BOUND: f64 = 0.8;

fn median(mut v: Vec<u64>) -> Option<u64> {
    v.sort_unstable();
    v.get(v.len() / 2).copied()
}

/// A stable per-cell seed, so one record always yields the same intervals.
fn cell_seed(run_seed: u64, id: &str) -> u64 {
    id.bytes().fold(run_seed ^ 0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Cell {
    fn new(c: &CellRecord, planned_rounds: usize, seed: u64, cores: usize) -> Cell {
        let timed: Vec<_> = c.rounds.iter().flat_map(|r| r.timed.iter()).collect();
        let planned_rounds = c.planned_rounds.unwrap_or(planned_rounds);
        let complete = c.rounds.len() >= planned_rounds;
        let status = match c.status {
            Status::Ok if complete => CellStatus::Ok,
            Status::Ok => CellStatus::Missing,
            Status::Skipped => CellStatus::Skipped,
            Status::Failed => CellStatus::Failed,
        };
        let reason = match status {
            CellStatus::Missing => Some(format!(
                "measured in {} of {planned_rounds} rounds: the run ended before the rest",
                c.rounds.len()
            )),
            _ => c.reason.clone(),
        };
        // Only verified cells measured in every round publish a time.
        let walls: Vec<Vec<f64>> = c
            .rounds
            .iter()
            .map(|r| r.timed.iter().map(|b| b.wall_ns as f64).collect())
            .collect();
        let e: Option<Estimate> = (status == CellStatus::Ok)
            .then(|| estimate::estimate(&walls, cell_seed(seed, &c.id())))
            .flatten();
        let cpu = median(timed.iter().map(|b| b.cpu_ns).collect());
        // Records from before the server counted its CPU have zeros: no figure, not a zero.
        let server_cpu = timed
            .iter()
            .any(|b| b.server_cpu_ns > 0)
            .then(|| median(timed.iter().map(|b| b.server_cpu_ns).collect()))
            .flatten();
        let server_busy = server_cpu.and_then(|_| {
            let mut v: Vec<f64> = timed.iter().map(|b| busy(b, cores)).collect();
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied()
        });
        let of_rounds = |f: &dyn Fn(&crate::bench::record::RoundRecord) -> u64| {
            median(c.rounds.iter().map(f).collect())
        };
        let first = c.rounds.first().map(|r| &r.cold);
        // What the probe batches show, for cells that publish a time.
        let probes: Vec<&ProbeRecord> = match status {
            CellStatus::Ok => c.rounds.iter().filter_map(|r| r.probe.as_ref()).collect(),
            _ => Vec::new(),
        };
        let per_request = |v: Option<u64>| v.map(|v| v as f64 / c.requests.max(1) as f64);
        // A Python peer runs in a process of its own: the cell process's threads, memory and
        // allocations are not its, so they are not published for it.
        let python = c.family == Family::Python;
        let own = |v: Option<u64>| v.filter(|_| !python);
        Cell {
            workload: c.workload.clone(),
            strategy: c.strategy.clone(),
            family: c.family,
            mirrors: c.mirrors.clone(),
            status,
            reason,
            requests: c.requests,
            bytes: c.bytes,
            concurrency_limit: c.concurrency_limit,
            median_ns: e.as_ref().map(|e| e.median_ns),
            ci_lower_ns: e.as_ref().map(|e| e.lower_ns),
            ci_upper_ns: e.as_ref().map(|e| e.upper_ns),
            p90_ns: e.as_ref().map(|e| e.p90_ns),
            max_ns: e.as_ref().map(|e| e.max_ns),
            std_dev_ns: e.as_ref().map(|e| e.std_dev_ns),
            round_medians_ns: e
                .as_ref()
                .map_or(Vec::new(), |e| e.round_medians_ns.clone()),
            rounds: c.rounds.len(),
            batches: timed.len(),
            unstable: e.as_ref().is_some_and(Estimate::unstable),
            // Set from the workload's floor once every cell is built (Summary::build).
            floor_ns: 0,
            ratio_to_floor: None,
            own_floor_ns: c.floor_ns,
            ratio_to_own_floor: e
                .as_ref()
                .filter(|_| c.floor_ns > 0)
                .map(|e| e.median_ns / c.floor_ns as f64),
            calibrated_floor_ns: c.calibrated_floor_ns,
            cpu_per_batch_ns: cpu,
            cpu_per_request_ns: cpu.map(|n| n / c.requests.max(1) as u64),
            server_cpu_per_request_ns: server_cpu.map(|n| n / c.requests.max(1) as u64),
            server_busy,
            server_bound: server_busy.is_some_and(|b| b > SERVER_BOUND),
            // Set with the machine's core count in Summary::build.
            steal_share: None,
            stolen_batches: c.rounds.iter().map(|r| r.stolen.len()).sum(),
            context_switches: median(timed.iter().map(|b| b.switches).collect()),
            peak_threads_added: own(of_rounds(&|r| {
                r.cold.peak_threads.saturating_sub(r.threads_after_setup)
            })),
            peak_rss_above_baseline_bytes: own(of_rounds(&|r| r.peak_rss_above_setup_bytes)),
            connections_cold: of_rounds(&|r| r.cold.connections_opened),
            connections_warm: median(timed.iter().map(|b| b.connections_opened).collect()),
            peak_in_flight: c
                .rounds
                .iter()
                .map(|r| r.cold.peak_in_flight)
                .chain(timed.iter().map(|b| b.peak_in_flight))
                .max(),
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
            request_latency: Latency::of(probes.iter().copied()),
            allocations_per_request: per_request(own(median(
                probes.iter().filter_map(|p| p.allocations).collect(),
            ))),
            allocated_bytes_per_request: per_request(own(median(
                probes.iter().filter_map(|p| p.allocated_bytes).collect(),
            ))),
            max_loop_stall_ns: median(probes.iter().filter_map(|p| p.max_loop_stall_ns).collect()),
            counterpart: crate::strategy::python::counterpart(&c.strategy).map(str::to_owned),
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
    /// The summary of a measured run's record. A smoke run (`--test`) is refused: its single
    /// batches are checks, not measurements.
    pub fn build(
        record: &RunRecord,
        context: Context,
        generated_unix: u64,
    ) -> Result<Summary, &'static str> {
        if record.mode == Mode::Test {
            return Err(
                "a smoke run (--test): its cells ran once, to check they work, and are \
                        never published; run `cargo bench` to measure",
            );
        }
        let mut cells: Vec<Cell> = record
            .cells
            .iter()
            .map(|c| Cell::new(c, record.rounds, record.seed, context.cores))
            .collect();
        let machine = floors::Machine {
            cores: context.cores,
            capacity_rps: record.calibration.as_ref().map(|c| c.capacity_rps),
            transfer_bytes_per_s: record
                .calibration
                .as_ref()
                .and_then(|c| c.transfer_bytes_per_s),
        };
        let mut workloads: Vec<String> = Vec::new();
        for c in &cells {
            if !workloads.contains(&c.workload) {
                workloads.push(c.workload.clone());
            }
        }
        let floors: Vec<WorkloadFloor> = workloads
            .iter()
            .filter_map(|w| {
                let of: Vec<&Cell> = cells.iter().filter(|c| &c.workload == w).collect();
                floors::of(&of, &machine)
            })
            .collect();
        let cores = context.cores;
        for (c, r) in cells.iter_mut().zip(&record.cells) {
            c.steal_share = steal_share(all_timed(r), cores);
        }
        let steal_share = steal_share(record.cells.iter().flat_map(all_timed), cores);
        for c in &mut cells {
            if let Some(f) = floors.iter().find(|f| f.workload == c.workload) {
                c.floor_ns = f.floor_ns;
                c.ratio_to_floor = c
                    .median_ns
                    .filter(|_| f.floor_ns > 0)
                    .map(|m| m / f.floor_ns as f64);
            }
        }
        let timelines = cells
            .iter()
            .zip(&record.cells)
            .filter(|(c, _)| c.status == CellStatus::Ok)
            .filter_map(|(c, r)| {
                let p = median_probe(r)?;
                let timeline = Timeline {
                    wall_us: p.wall_ns / 1000,
                    spans_us: p.spans_us.clone(),
                };
                Some((c.id(), timeline))
            })
            .collect();
        Ok(Summary {
            schema_version: SCHEMA_VERSION,
            generated_unix,
            run_started_unix: record.started_unix,
            profile: record.profile.clone(),
            server: record.server.clone(),
            server_threads: record.server_threads,
            server_core: record.server_core,
            rounds: record.rounds,
            seed: record.seed,
            context,
            calibration: record.calibration.clone(),
            round_capacity_rps: record.round_capacity_rps.clone(),
            round_steal_share: record.round_steal_share.clone(),
            steal_share,
            stolen_batches: cells.iter().map(|c| c.stolen_batches).sum(),
            timed_batches: cells.iter().map(|c| c.batches).sum(),
            floors,
            cells,
            not_run: not_run(record),
            rerun: None,
            timelines,
        })
    }

    /// The machine's pace over the run: the least, median and largest of the server capacities
    /// measured at the start of each round.
    pub fn pace(&self) -> Option<(f64, f64, f64)> {
        let mut v = self.round_capacity_rps.clone();
        v.sort_by(f64::total_cmp);
        Some((*v.first()?, v[v.len() / 2], *v.last()?))
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

    /// One workload's achievable floor.
    pub fn floor(&self, workload: &str) -> Option<&WorkloadFloor> {
        self.floors.iter().find(|f| f.workload == workload)
    }

    /// One cell.
    pub fn cell(&self, workload: &str, strategy: &str) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.workload == workload && c.strategy == strategy)
    }
}
