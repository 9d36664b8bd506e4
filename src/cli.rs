//! The `fanout` command line (clap derive). Flags are collapsed into typed values here, before
//! any work starts.

use clap::{Parser, Subcommand};

/// fanout: what is the fastest and cheapest way to fetch many URLs from Rust?
///
/// The main job is `cargo bench`; this tool lists what exists, runs one cell by hand,
/// and calibrates the mock server.
#[derive(Parser, Debug)]
#[command(version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List every strategy and every workload of every profile.
    List {
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Run one or more strategies on one workload and print each batch.
    Run {
        /// Workload name (or glob) in the profile.
        #[arg(long, short)]
        workload: String,
        /// Strategy id or glob, comma-separated (e.g. `gather/*`).
        #[arg(long, short, default_value = "*")]
        strategy: String,
        /// Profile name (quick, standard, full) or a path to a workload file.
        #[arg(long, short, env = "FANOUT_PROFILE", default_value = "standard")]
        profile: String,
        /// Batches per strategy.
        #[arg(long, short, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
        repeat: u32,
        /// A mock server started by hand (http://HOST:PORT); default: one in a child process.
        #[arg(long, env = "FANOUT_TARGET")]
        target: Option<String>,
    },
    /// Measure the Python patterns themselves (peers/python) on the same server and workloads,
    /// and add them to the last bench run's report. Sets up a virtual environment under
    /// target/ from pinned requirements on first use; needs Python 3 and the package index.
    ///
    /// Exit status: 0 every cell measured or skipped with its reason; 1 a cell failed; 2 the
    /// peers could not run (no Python 3, no package index, a bad flag).
    Peers {
        /// Workload names (or globs), comma-separated.
        #[arg(long, short, default_value = "*")]
        workload: String,
        /// Peer ids or globs, comma-separated (e.g. `python/aiohttp-*`).
        #[arg(long, short, default_value = "python/*")]
        strategy: String,
        /// Profile name (quick, standard, full) or a path to a workload file.
        #[arg(long, short, env = "FANOUT_PROFILE", default_value = "standard")]
        profile: String,
    },
    /// Write the report (summary.json, README.md, charts, index.html) from the last bench run.
    Report {
        /// Where to write it.
        #[arg(long, default_value = "results")]
        out: std::path::PathBuf,
        /// The bench record (default: target/fanout/metrics.json).
        #[arg(long)]
        metrics: Option<std::path::PathBuf>,
        /// A second run's summary.json of the same profile: the report says how far it moved
        /// these numbers.
        #[arg(long)]
        rerun: Option<std::path::PathBuf>,
        /// Also append this run to OUT/history.jsonl (and draw trends from it).
        #[arg(long)]
        record: bool,
    },
    /// Compare two runs cell by cell; exit 0 without regression, 1 with one, 2 on bad input.
    Compare {
        /// The baseline: a summary.json, or the name of a baseline (`cargo bench -- --save-baseline NAME`).
        #[arg(long)]
        baseline: String,
        /// The current run: a summary.json, or a saved baseline's name.
        #[arg(long, default_value = "results/summary.json")]
        current: String,
        /// A change under this percentage is "unchanged".
        #[arg(long, default_value_t = 10.0, value_parser = parse_threshold)]
        threshold: f64,
        /// What gates: wall, floor-ratio (comparable across machines), relative, or cpu.
        #[arg(long, default_value = "wall", value_parser = ["wall", "floor-ratio", "relative", "cpu"])]
        metric: String,
        /// The reference strategy for --metric relative.
        #[arg(long, default_value = "gather/tokio-hyper")]
        reference: String,
        /// text for a terminal, markdown for a pull-request comment, json.
        #[arg(long, default_value = "text", value_parser = ["text", "markdown", "json"])]
        format: String,
        /// Print the comparison but always exit 0 (for shared, noisy machines).
        #[arg(long)]
        report_only: bool,
    },
    /// Export a summary for a tracking service (bmf: Bencher; github: github-action-benchmark).
    Export {
        #[arg(long, value_parser = ["bmf", "github"])]
        format: String,
        /// The summary to export.
        #[arg(long, default_value = "results/summary.json")]
        summary: std::path::PathBuf,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Measure the mock server's capacity and delay accuracy on this machine.
    Calibrate {
        /// A mock server started by hand (http://HOST:PORT); default: one in a child process.
        #[arg(long, env = "FANOUT_TARGET")]
        target: Option<String>,
        /// Seconds of the capacity measurement.
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn parse_threshold(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=1000.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is outside [0, 1000] percent"))
    }
}
