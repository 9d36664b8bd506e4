//! The orchestrator: start the mock server, calibrate it, decide which cells cannot run (with
//! the reason), then run every round, each cell in its shuffled place and in a process of its
//! own, merging each outcome into the run record as it arrives. The caller then writes the
//! report (`cargo bench` right away, `fanout peers` after joining its cells to the bench record).

use super::args::{BenchArgs, Mode};
use super::cell::{self, Job};
use super::record::{self, CellRecord, RunRecord, Status};
use super::{schedule, Selection};
use crate::calibrate::{self, Calibration};
use crate::report::context::Context;
use crate::target::Target;
use crate::workload::Workload;
use anyhow::Context as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// `FANOUT_SEED` fixes the shuffled orders (to repeat a run's order exactly).
const SEED_ENV: &str = "FANOUT_SEED";

/// Runs the selection's cells into its record; the caller writes the report.
pub(crate) fn run(args: &BenchArgs, sel: &Selection) -> anyhow::Result<bool> {
    let test = args.mode == Mode::Test;
    // Before the server child starts, so it inherits the raised limit too.
    crate::limits::raise_open_files().ok();
    let target = Target::from_env()?;
    let calibration = match test {
        true => None,
        false => {
            eprintln!(
                "fanout: calibrating the mock server at {} ...",
                target.base_url()
            );
            let plan = calibrate::Plan {
                capacity_time: Duration::from_secs(1),
                samples: 128,
                ..calibrate::Plan::default()
            };
            Some(calibrate::calibrate(&target, &plan)?)
        }
    };
    let sampling = &sel.file.sampling;
    let seed = match std::env::var(SEED_ENV) {
        Ok(s) => s
            .parse()
            .with_context(|| format!("{SEED_ENV}={s:?} is not a whole number"))?,
        Err(_) => schedule::fresh_seed(),
    };
    let rounds = if test { 1 } else { sampling.rounds };
    let cells = sel
        .cells
        .iter()
        .map(|(w, e)| new_cell(w, e, calibration.as_ref()))
        .collect();
    let mut record = RunRecord {
        schema_version: record::SCHEMA_VERSION,
        profile: sel.profile.clone(),
        mode: if test {
            record::Mode::Test
        } else {
            record::Mode::Measure
        },
        server: target.kind().to_owned(),
        server_url: target.base_url(),
        server_threads: target.layout().map(|(threads, _)| threads),
        server_core: target.layout().and_then(|(_, core)| core),
        started_unix: SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs(),
        rounds,
        seed,
        context: Some(Context::of_this_machine(Path::new(env!(
            "CARGO_MANIFEST_DIR"
        )))),
        calibration,
        round_capacity_rps: Vec::new(),
        round_steal_share: Vec::new(),
        cells,
    };
    // A smoke run never replaces the record a report is made from.
    let path = match test {
        true => sel.record.with_file_name("test-run.json"),
        false => sel.record.clone(),
    };
    for (cell, (w, e)) in record.cells.iter_mut().zip(&sel.cells) {
        if let Some(why) = cannot_run(w, e, sampling, test) {
            eprintln!("fanout: skipped {}: {why}", cell.id());
            cell.status = Status::Skipped;
            cell.reason = Some(why);
        }
    }
    record.save(&path)?;
    let order = schedule::rounds(record.cells.len(), rounds, seed);
    let mut progress = Progress::new(&record, rounds);
    eprintln!(
        "fanout: {} cells x {rounds} round(s), each cell in a process of its own, order seed {seed}",
        progress.runnable
    );
    let jobs_dir = path.with_file_name(format!(
        "cells-{}",
        path.file_stem()
            .map_or("run".into(), |s| s.to_string_lossy())
    ));
    let mut target = target;
    for (r, cells) in order.iter().enumerate() {
        if r > 0 && matches!(target, Target::Child { .. }) {
            // A fresh mock server for every round: its own state (where the scheduler puts
            // its thread, its timer's phase, its memory) then varies from round to round and
            // shows in the interval, instead of shifting a whole run.
            drop(target);
            target = Target::from_env()?;
        }
        if !test {
            let (rps, steal) = pace(&target)?;
            record.round_capacity_rps.push(rps);
            record.round_steal_share.extend(steal);
        }
        for (position, &i) in cells.iter().enumerate() {
            let c = &record.cells[i];
            if c.status != Status::Ok || c.planned_rounds.is_some_and(|n| r >= n) {
                continue;
            }
            // The previous cell's connections close before this one starts (bounded wait).
            target.wait_until_idle(16, Duration::from_secs(10))?;
            let job = Job {
                profile: sel.profile.clone(),
                workload: c.workload.clone(),
                strategy: c.strategy.clone(),
                target: target.base_url(),
                round: r + 1,
                position: position + 1,
                plan: c.plan,
                test,
                out: jobs_dir.join(format!("{i}-{}.json", r + 1)),
            };
            let started = Instant::now();
            let mut outcome = spawn(&job, Duration::from_secs_f64(sampling.cell_budget_s + 60.0));
            if let Some(round) = &mut outcome.round {
                round.process_ns = started.elapsed().as_nanos() as u64;
            }
            merge(&mut record.cells[i], outcome);
            let cell = &mut record.cells[i];
            if cell.status == Status::Ok && cell.planned_rounds.is_none() {
                cell.planned_rounds = Some(match test {
                    true => 1,
                    false => sampling.rounds_for(started.elapsed()),
                });
            }
            record.save(&path)?;
            progress.done(&record.cells[i], r, started.elapsed());
        }
    }
    let _ = std::fs::remove_dir_all(&jobs_dir);
    let (ok, skipped, failed) = count(&record);
    eprintln!(
        "fanout: {ok} cells measured, {skipped} skipped, {failed} failed in {}; record written to {}",
        clock(progress.started.elapsed()),
        path.display()
    );
    Ok(failed == 0)
}

fn new_cell(w: &Workload, entry: &crate::strategy::Entry, cal: Option<&Calibration>) -> CellRecord {
    let limit = entry.info.concurrency.limit(w);
    CellRecord {
        workload: w.name.clone(),
        strategy: entry.info.id.to_owned(),
        family: entry.info.family,
        mirrors: entry.info.mirrors.to_owned(),
        requests: w.requests,
        bytes: w.bytes,
        concurrency_limit: limit,
        floor_ns: w.floor(limit).as_nanos() as u64,
        calibrated_floor_ns: cal.map(|c| c.floor(w, limit).as_nanos() as u64),
        status: Status::Ok,
        reason: None,
        plan: None,
        planned_rounds: None,
        rounds: Vec::new(),
    }
}

/// Why a cell cannot run on this machine or within the budget, before anything runs.
fn cannot_run(
    w: &Workload,
    e: &crate::strategy::Entry,
    sampling: &super::sampling::Sampling,
    test: bool,
) -> Option<String> {
    if let Err(why) = crate::limits::check_open_files(&w.name, w.requests, false) {
        return Some(why.to_string());
    }
    if e.info.family == crate::strategy::Family::Python && w.cpu_work > 0 {
        return Some(format!(
            "its per-response work (cpu_work = {} rounds of a 64-bit hash chain, made for \
             compiled code) runs step for step in CPython's interpreter, so the cell would \
             measure the interpreter rather than the pattern, over minutes a batch",
            w.cpu_work
        ));
    }
    if e.info.thread_per_request {
        if let Err(why) = crate::limits::check_threads(w.requests) {
            return Some(why);
        }
    }
    let floor = w.floor(e.info.concurrency.limit(w));
    sampling.before_running(floor).filter(|_| !test)
}

/// The machine's pace now: the server's capacity over a short, fixed load, and the share of
/// the CPUs' time the host stole meanwhile.
fn pace(target: &Target) -> anyhow::Result<(f64, Option<f64>)> {
    let plan = calibrate::Plan {
        capacity_time: Duration::from_millis(300),
        latencies_ms: &[],
        concurrencies: &[],
        transfer_bodies: 0,
        ..calibrate::Plan::default()
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let (steal, started) = (crate::rusage::steal_ns(), std::time::Instant::now());
    let rps = calibrate::calibrate(target, &plan)?.capacity_rps;
    let wall = started.elapsed().as_nanos() as f64;
    let stolen = crate::rusage::steal_since(steal).map(|s| s as f64 / (wall * cores));
    Ok((rps, stolen))
}

/// Runs one job in a child process, stopped by PID if it runs past `limit`.
fn spawn(job: &Job, limit: Duration) -> cell::Outcome {
    let failed = |reason: String| cell::Outcome {
        status: Status::Failed,
        reason: Some(reason),
        plan: None,
        round: None,
    };
    let _ = std::fs::remove_file(&job.out);
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return failed(format!("cannot find the bench executable: {e}")),
    };
    let child = Command::new(&exe)
        .env(
            cell::JOB_ENV,
            serde_json::to_string(job).expect("a job serializes"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return failed(format!("cannot start {}: {e}", exe.display())),
    };
    let pid = child.id();
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        let status = child.wait();
        let _ = tx.send((status, text));
    });
    let (status, stderr) = match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(_) => {
            // SAFETY: kill(2) on the PID of the child this function started.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            let _ = rx.recv_timeout(Duration::from_secs(10));
            return failed(format!(
                "its process (PID {pid}) ran past {:.0} s and was stopped",
                limit.as_secs_f64()
            ));
        }
    };
    if !stderr.trim().is_empty() {
        eprint!("{stderr}");
    }
    match read_outcome(&job.out) {
        Some(outcome) => outcome,
        None => failed(format!(
            "its process ended ({}) without a result; its last words: {}",
            status.map_or_else(|e| e.to_string(), |s| s.to_string()),
            last_line(&stderr)
        )),
    }
}

fn read_outcome(path: &PathBuf) -> Option<cell::Outcome> {
    let text = std::fs::read_to_string(path).ok()?;
    let _ = std::fs::remove_file(path);
    serde_json::from_str(&text).ok()
}

fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("(nothing)")
}

fn merge(cell: &mut CellRecord, outcome: cell::Outcome) {
    if cell.plan.is_none() {
        cell.plan = outcome.plan;
    }
    if let Some(round) = outcome.round {
        cell.rounds.push(round);
    }
    if outcome.status != Status::Ok {
        let verb = match outcome.status {
            Status::Skipped => "skipped",
            _ => "FAILED",
        };
        eprintln!(
            "fanout: {verb} {}: {}",
            cell.id(),
            outcome.reason.as_deref().unwrap_or("")
        );
        cell.status = outcome.status;
        cell.reason = outcome.reason;
    }
}

fn count(r: &RunRecord) -> (usize, usize, usize) {
    let n = |s| r.cells.iter().filter(|c| c.status == s).count();
    (n(Status::Ok), n(Status::Skipped), n(Status::Failed))
}

fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}", s / 60, s % 60)
}

/// Progress lines with the count of cell processes and the time left, estimated from each
/// cell's own first round (and, before that, from the average first round so far).
struct Progress {
    started: Instant,
    runnable: usize,
    total: usize,
    finished: usize,
    /// Per cell: seconds each of its processes took, and the rounds it will take.
    took: std::collections::HashMap<String, (Vec<f64>, usize)>,
    rounds: usize,
}

impl Progress {
    fn new(record: &RunRecord, rounds: usize) -> Progress {
        let runnable = record
            .cells
            .iter()
            .filter(|c| c.status == Status::Ok)
            .count();
        Progress {
            started: Instant::now(),
            runnable,
            total: runnable * rounds,
            finished: 0,
            took: Default::default(),
            rounds,
        }
    }

    fn done(&mut self, cell: &CellRecord, round: usize, took: Duration) {
        self.finished += 1;
        let id = cell.id();
        // The rounds this cell will take in all: its own count, or this one after a failure.
        let planned = match cell.status {
            Status::Ok => cell.planned_rounds.unwrap_or(self.rounds),
            _ => round + 1,
        };
        let entry = self
            .took
            .entry(id.clone())
            .or_insert((Vec::new(), self.rounds));
        self.total -= entry.1 - planned;
        entry.1 = planned;
        entry.0.push(took.as_secs_f64());
        let firsts: Vec<f64> = self.took.values().map(|(v, _)| v[0]).collect();
        let typical = firsts.iter().sum::<f64>() / firsts.len().max(1) as f64;
        let unseen = self.runnable.saturating_sub(self.took.len()) as f64;
        let left = self
            .took
            .values()
            .map(|(v, n)| v[0] * n.saturating_sub(v.len()) as f64)
            .sum::<f64>()
            + unseen * typical * self.rounds as f64;
        let last = cell.rounds.last().map(|r| {
            let mut walls: Vec<u64> = r.timed.iter().map(|b| b.wall_ns).collect();
            walls.sort_unstable();
            let mid = walls.get(walls.len() / 2).copied().unwrap_or(0);
            format!("{:>10.3} ms x{}", mid as f64 / 1e6, walls.len())
        });
        eprintln!(
            "fanout: [{:>4}/{}] round {}/{} {:<48} {:<18} {} elapsed, about {} left",
            self.finished,
            self.total,
            round + 1,
            planned,
            id,
            match cell.status {
                Status::Ok => last.unwrap_or_default(),
                Status::Skipped => "skipped".into(),
                Status::Failed => "FAILED".into(),
            },
            clock(self.started.elapsed()),
            clock(Duration::from_secs_f64(left.max(0.0)))
        );
    }
}
