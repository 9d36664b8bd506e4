//! The main job, `cargo bench`: every workload of the chosen profile x every strategy, against
//! the mock server in a child process.
//!
//! How a number is made trustworthy here:
//! - **Isolation.** Every cell is measured in a process of its own ([`cell`]), so nothing an
//!   earlier cell allocated, spawned or cached can leak into its time or costs; its memory is
//!   measured from its own baseline after setup.
//! - **Rounds, interleaved.** Every cell is measured in several rounds spread over the run, the
//!   order of the cells shuffled anew in each round from a recorded seed ([`schedule`]).
//! - **Intervals that cover a rerun.** The published median and its interval come from all the
//!   rounds, by a bootstrap over rounds and then batches ([`estimate`]), so the interval is as
//!   wide as the rounds disagree; p90 and the slowest batch are published beside it, and a
//!   cell whose batches spread widely is marked unstable.
//! - **Verified and counted.** Every batch, timed or not, is verified outcome by outcome and
//!   the server must have received exactly N requests; a cell with one batch that is not is
//!   failed, with the reason.
//!
//! The run's record (`target/fanout/metrics.json`, [`record`]) is rewritten after every cell of
//! every round and holds every batch, so an interrupted run keeps what it measured, and the
//! report is built from that one file: it can never mix two runs.
//!
//! This harness does its own sampling instead of criterion's: criterion measures each benchmark
//! as one contiguous block of at least ten samples in one process, which is neither isolated
//! nor interleaved, and ten samples a round of a one-second batch would not fit any budget. The
//! command line keeps the conventions criterion users know ([`args`]).

pub mod args;
pub mod cell;
pub mod estimate;
mod orchestrate;
mod output;
pub mod peers;
pub mod record;
pub mod sampling;
pub mod schedule;

use crate::strategy::{self, Entry};
use crate::workload::Workload;
use args::{BenchArgs, Mode};
pub use output::{baseline_path, bencher_lines};
use std::process::ExitCode;

/// The bench binary's `main`: a server child, a cell process, or the orchestrator.
pub fn main() -> ExitCode {
    crate::target::serve_if_child();
    if let Some(job) = cell::job_from_env() {
        return match job {
            Ok(job) => cell::main(job),
            Err(e) => {
                eprintln!("fanout cell: {e}");
                ExitCode::from(2)
            }
        };
    }
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("fanout bench: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The cells a run measures: the selected workload x strategy pairs, in profile order.
pub(crate) struct Selection {
    pub profile: String,
    pub file: crate::workload::ProfileFile,
    pub cells: Vec<(Workload, Entry)>,
    /// Where the run's record goes.
    pub record: std::path::PathBuf,
}

fn run() -> anyhow::Result<bool> {
    let args = BenchArgs::parse(std::env::args()).map_err(anyhow::Error::msg)?;
    // A smoke run (`--test`, `cargo test --benches`) takes the quick profile unless told.
    let default = match args.mode {
        Mode::Test => "quick",
        _ => crate::profile::DEFAULT,
    };
    let (profile, file) = crate::profile::from_env(default)?;
    let entries = strategy::registry();
    let cells = file
        .workload
        .iter()
        .flat_map(|w| entries.iter().map(move |e| (w.clone(), e.clone())))
        .filter(|(w, e)| args.matches(&format!("{}/{}", w.name, e.info.id)))
        .collect();
    let selection = Selection {
        profile,
        file,
        cells,
        record: record::default_path(),
    };
    match args.mode {
        Mode::List => {
            for (w, e) in &selection.cells {
                println!("{}/{}: benchmark", w.name, e.info.id);
            }
            Ok(true)
        }
        Mode::Profile(seconds) => output::profile(&selection, seconds),
        Mode::Test => orchestrate::run(&args, &selection),
        Mode::Measure => {
            let ok = orchestrate::run(&args, &selection)?;
            output::finish(&args, &selection.record)?;
            Ok(ok)
        }
    }
}
