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
    /// Write the report (summary.json, README.md, charts, index.html) from the last bench run.
    Report {
        /// Where to write it.
        #[arg(long, default_value = "results")]
        out: std::path::PathBuf,
        /// Criterion's output directory (default: target/criterion).
        #[arg(long)]
        criterion: Option<std::path::PathBuf>,
        /// The bench record (default: target/fanout/metrics.json).
        #[arg(long)]
        record: Option<std::path::PathBuf>,
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
