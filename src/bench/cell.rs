//! One round of one cell, in a process of its own: the bench binary re-run with a job in
//! `FANOUT_CELL_JOB`. A fresh process means no allocator state, thread, runtime or resident
//! memory of an earlier cell can leak into this one's time or costs.
//!
//! The round: prepare the requests and build the strategy (setup, untimed), take the baseline
//! (resident set and threads after setup; the resident high-water mark reset), run the cold
//! batch with the thread sampler, then the warm batches and the timed ones (in the first
//! round, the warm count comes from the cold batch and the timed count from the first timed
//! batch; later rounds repeat that plan), then the probe batch (spans, loop stall and
//! allocations, see [`crate::probe`]; untimed). Every batch is verified outcome by outcome and counted at the
//! server; the first that is not ends the round as failed, with the reason. The result goes to
//! the job's file as JSON, which the orchestrator merges into the run record.

use super::record::{RoundRecord, Status};
use super::sampling::{Decision, RoundPlan};
use crate::metrics::{self, TimedBatch};
use crate::run::{run_batch, run_probe_batch};
use crate::rusage;
use crate::strategy::{self, Settings};
use crate::target::Target;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Warm batches added, at most, while batches still open new connections.
const EXTRA_WARM: usize = 3;

/// A timed batch during which the host stole more than this share of the CPUs' time is
/// measured again: on the reference machine, batches of 50 ms or more with under 5% steal took
/// 1.00x their cell's median, with 15-30% steal 1.14x and with over 30% 1.80x.
pub const STEAL_LIMIT: f64 = 0.10;

/// Batches measured again for steal, at most, per round; past it a batch counts as it is.
const STEAL_REDOS: usize = 3;

/// The environment variable that carries a job to a cell process.
pub const JOB_ENV: &str = "FANOUT_CELL_JOB";

/// What the orchestrator asks one cell process to do.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Job {
    /// The profile, by name or path, as the orchestrator loaded it.
    pub profile: String,
    pub workload: String,
    pub strategy: String,
    /// The mock server, `http://HOST:PORT`.
    pub target: String,
    pub round: usize,
    pub position: usize,
    /// The plan of the first round, for the later ones; `None`: decide it in this round.
    pub plan: Option<RoundPlan>,
    /// Test mode: one timed batch, no budget.
    pub test: bool,
    /// Where to write the [`Outcome`].
    pub out: PathBuf,
}

/// What one round of a cell came to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Outcome {
    pub status: Status,
    pub reason: Option<String>,
    /// The plan this round followed (decided here in the first round).
    pub plan: Option<RoundPlan>,
    /// What was measured; with a failure, up to the batch that failed.
    pub round: Option<RoundRecord>,
}

impl Outcome {
    fn failed(reason: String, round: Option<RoundRecord>) -> Outcome {
        Outcome {
            status: Status::Failed,
            reason: Some(reason),
            plan: None,
            round,
        }
    }
}

/// The job of this process, if it was started as a cell process.
pub fn job_from_env() -> Option<Result<Job, String>> {
    let text = std::env::var(JOB_ENV).ok()?;
    Some(serde_json::from_str(&text).map_err(|e| format!("{JOB_ENV} is not a cell job: {e}")))
}

/// Runs the job and writes its outcome; the exit code says whether the file was written.
pub fn main(job: Job) -> std::process::ExitCode {
    let outcome = run(&job);
    let json = serde_json::to_vec(&outcome).expect("the outcome serializes");
    match crate::fsio::write_atomic(&job.out, &json) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fanout cell {}/{}: {e}", job.workload, job.strategy);
            std::process::ExitCode::from(2)
        }
    }
}

fn run(job: &Job) -> Outcome {
    let setup = (|| -> Result<_, String> {
        let file = crate::profile::load(&job.profile).map_err(|e| e.to_string())?;
        let w = file
            .workload
            .iter()
            .find(|w| w.name == job.workload)
            .ok_or_else(|| format!("no workload {:?} in {}", job.workload, job.profile))?
            .clone();
        let entry = strategy::find(&job.strategy)
            .ok_or_else(|| format!("no strategy {:?}", job.strategy))?;
        let target = Target::remote(&job.target).map_err(|e| e.to_string())?;
        let requests = w.requests(&target.base_url());
        let s = entry
            .build(&Settings::for_workload(&w))
            .map_err(|e| e.to_string())?;
        Ok((file.sampling, target, requests, s))
    })();
    let (sampling, target, requests, mut s) = match setup {
        Ok(v) => v,
        Err(why) => return Outcome::failed(why, None),
    };
    // The baseline: everything this process holds before its first batch.
    let _ = rusage::reset_peak_rss();
    let base = rusage::status();
    let mut round = RoundRecord {
        round: job.round,
        position: job.position,
        setup_rss_bytes: base.rss_bytes,
        peak_rss_above_setup_bytes: 0,
        threads_after_setup: base.threads,
        cold: Default::default(),
        warm_batches: 0,
        process_ns: 0,
        timed: Vec::new(),
        stolen: Vec::new(),
        probe: None,
    };
    let finish = |mut round: RoundRecord| {
        round.peak_rss_above_setup_bytes = rusage::status()
            .peak_rss_bytes
            .saturating_sub(base.rss_bytes);
        round
    };
    let (cold, m) = match metrics::measure(s.as_mut(), &requests, &target) {
        Ok(v) => v,
        Err(e) => return Outcome::failed(e.to_string(), None),
    };
    round.cold = m;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    if let Some(why) = cold.problem() {
        return Outcome::failed(format!("the cold batch: {why}"), Some(finish(round)));
    }
    // The plan: the first round's, or decided now (warm batches from the cold one, timed
    // batches from the first timed one).
    let (warm, mut batches) = match (job.plan, job.test) {
        (_, true) => (0, Some(1)),
        (Some(plan), false) => (plan.warm, Some(plan.batches)),
        (None, false) => match sampling.after_cold(cold.wall) {
            Decision::Warm(warm) => (warm, None),
            Decision::Skip(why) => {
                return Outcome {
                    status: Status::Skipped,
                    reason: Some(why),
                    plan: None,
                    round: None,
                }
            }
        },
    };
    // The first timed batch must find the pool warm: one that still opened connections counts
    // as warm-up instead, a few times at most (a strategy that opens connections on every
    // batch never gets warmer).
    let mut warm = warm;
    let mut extra = 0;
    let mut i = 0;
    while i < warm + batches.unwrap_or(1) {
        let batch = match run_batch(s.as_mut(), &requests, &target) {
            Ok(b) => b,
            Err(e) => return Outcome::failed(e.to_string(), Some(finish(round))),
        };
        if let Some(why) = batch.problem() {
            let which = match i < warm {
                true => "a warm batch",
                false => "a timed batch",
            };
            return Outcome::failed(
                format!(
                    "{which}: {why} ({} errors)",
                    crate::run::errors(&batch.outcomes)
                ),
                Some(finish(round)),
            );
        }
        // A fault that breaks its connection (reset, truncated body, stall) makes the client
        // open a new one in every batch: those are not a cold pool.
        let f = batch.server.faults;
        let broken = f.reset + f.truncated + f.stall;
        let still_cold = batch.server.connections_used > broken && round.timed.is_empty();
        let stolen = stolen_too_much(batch.steal_ns, batch.wall, cores);
        if i >= warm && still_cold && extra < EXTRA_WARM && !job.test {
            warm += 1;
            extra += 1;
        } else if i >= warm && stolen && round.stolen.len() < STEAL_REDOS && !job.test {
            // Measured again: the same batch, once the host gives the CPUs back.
            round.stolen.push(TimedBatch::of(&batch));
            continue;
        } else if i >= warm {
            round.timed.push(TimedBatch::of(&batch));
            batches.get_or_insert_with(|| sampling.batches(batch.wall, warm));
        }
        i += 1;
    }
    let plan = RoundPlan {
        warm: warm - extra,
        batches: batches.unwrap_or(1),
    };
    round.warm_batches = warm;
    // The probe batch, after the timed ones (the pool as warm as theirs): in every round of a
    // cell cheap enough to have warm batches, in the first round only of a long one (its
    // batch alone takes longer than the warm-up).
    if job.test || job.plan.is_none() || plan.warm > 0 {
        let (batch, probe) = match run_probe_batch(s.as_mut(), &requests, &target) {
            Ok(v) => v,
            Err(e) => return Outcome::failed(e.to_string(), Some(finish(round))),
        };
        if let Some(why) = batch.problem() {
            return Outcome::failed(format!("the probe batch: {why}"), Some(finish(round)));
        }
        round.probe = Some(probe);
    }
    Outcome {
        status: Status::Ok,
        reason: None,
        plan: Some(plan),
        round: Some(finish(round)),
    }
}

/// Whether the host stole more than [`STEAL_LIMIT`] of the CPUs' time during a batch (an
/// unknown steal is not too much).
fn stolen_too_much(steal_ns: Option<u64>, wall: std::time::Duration, cores: f64) -> bool {
    steal_ns.is_some_and(|s| s as f64 > STEAL_LIMIT * wall.as_nanos() as f64 * cores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_batch_is_measured_again_only_past_the_steal_limit() {
        let wall = Duration::from_millis(100);
        // Two cores over 100 ms: 200 ms of CPU time, 10% of it is 20 ms.
        assert!(!stolen_too_much(None, wall, 2.0));
        assert!(!stolen_too_much(Some(0), wall, 2.0));
        assert!(!stolen_too_much(Some(20_000_000), wall, 2.0));
        assert!(stolen_too_much(Some(20_000_001), wall, 2.0));
        assert!(stolen_too_much(Some(10_000_001), wall, 1.0));
    }
}
