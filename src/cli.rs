//! The `fanout` command line (clap derive). Flags are collapsed into typed values here, before
//! any work starts.

use clap::{Parser, Subcommand};

/// fanout: what is the fastest and cheapest way to fetch many URLs from Rust?
///
/// The main job is `cargo bench` (every workload x every strategy, with its report). This tool
/// works around it: `list` what exists, `run` a strategy by hand, `calibrate` the mock server,
/// measure the Python `peers`, write the `report`, `compare` two runs, `export` a run for a
/// tracker, and print the `schema` of summary.json.
#[derive(Parser, Debug)]
#[command(
    version,
    propagate_version = true,
    after_help = "EXIT STATUS (every command):\n  0  done (compare: no regression)\n  1  \
                  a result to act on: a batch not verified (run), a failed cell (peers), a \
                  regression (compare)\n  2  bad input or the work could not start; the \
                  message names the cause"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// How a command prints its result: one convention for every command that prints one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text for a terminal.
    Text,
    /// One JSON document on standard output (progress and notes go to standard error).
    Json,
    /// GitHub-flavoured Markdown tables (e.g. for a pull-request comment).
    Markdown,
}

/// What `fanout compare` gates on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum MetricArg {
    /// Median wall time per batch.
    Wall,
    /// Median over the workload's achievable floor: comparable across machines.
    FloorRatio,
    /// Median over the median of --reference on the same workload.
    Relative,
    /// Client CPU per batch.
    Cpu,
}

/// A tracking service's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Bencher Metric Format (`bencher run --adapter json`): one measure per metric.
    Bmf,
    /// github-action-benchmark's `customSmallerIsBetter`: one entry per cell and metric.
    Github,
}

const EXIT_0_2: &str = "EXIT STATUS:\n  0  done\n  2  bad input or the work could not be done; the message names the cause";

/// The format flags shared by list, run and calibrate (`--json` is the older spelling of
/// `--format json`).
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct FormatArg {
    /// How to print the result.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// The same as --format json.
    #[arg(long, hide = true, conflicts_with = "format")]
    json: bool,
}

impl FormatArg {
    pub fn get(self) -> Format {
        if self.json {
            Format::Json
        } else {
            self.format
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List every strategy and every workload of every profile.
    #[command(after_help = EXIT_0_2)]
    List {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Run one or more strategies on one workload and print each batch.
    #[command(
        after_help = "EXIT STATUS:\n  0  every batch verified\n  1  a batch failed verification \
                      (its problem is printed)\n  2  bad input or the run could not start"
    )]
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
        #[command(flatten)]
        format: FormatArg,
    },
    /// Measure the Python patterns themselves and add them to the last bench run's report.
    ///
    /// The patterns of peers/python, on the same server and workloads as the Rust strategies.
    /// Sets up a virtual environment under target/ from pinned requirements on first use;
    /// needs Python 3 and the package index.
    #[command(
        after_help = "EXIT STATUS:\n  0  every cell measured or skipped with its reason\n  1  a \
                      cell failed\n  2  the peers could not run (no Python 3, no package index, \
                      a bad flag)"
    )]
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
    #[command(
        after_help = "EXIT STATUS:\n  0  the report was written (failed cells are results, shown \
                      in it)\n  2  it could not be written; nothing was"
    )]
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
    /// Compare two runs cell by cell.
    #[command(
        after_help = "EXIT STATUS:\n  0  no regression (or --report-only)\n  1  a regression: \
                      beyond the threshold, with the intervals apart\n  2  bad input (a file that \
                      is not a summary, an unknown baseline, ...)"
    )]
    Compare {
        /// The baseline: a summary.json, or the name of a baseline (`cargo bench -- --save-baseline NAME`).
        #[arg(long)]
        baseline: String,
        /// The current run: a summary.json, or a saved baseline's name [default: the last
        /// `cargo bench`, target/fanout/report/summary.json].
        #[arg(long)]
        current: Option<String>,
        /// A change under this percentage is "unchanged".
        #[arg(long, default_value_t = 10.0, value_parser = parse_threshold)]
        threshold: f64,
        /// What gates.
        #[arg(long, value_enum, default_value_t = MetricArg::Wall)]
        metric: MetricArg,
        /// The reference strategy for --metric relative.
        #[arg(long, default_value = "gather/tokio-hyper")]
        reference: String,
        /// How to print the comparison.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Print the comparison but always exit 0 (for shared, noisy machines).
        #[arg(long)]
        report_only: bool,
    },
    /// Export a run's summary for a tracking service.
    #[command(after_help = EXIT_0_2)]
    Export {
        /// The tracker's format.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// The summary to export [default: the last `cargo bench`,
        /// target/fanout/report/summary.json].
        #[arg(long)]
        summary: Option<std::path::PathBuf>,
        /// Write here (atomically) instead of standard output.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Measure the mock server's capacity and delay accuracy on this machine.
    #[command(after_help = EXIT_0_2)]
    Calibrate {
        /// A mock server started by hand (http://HOST:PORT); default: one in a child process.
        #[arg(long, env = "FANOUT_TARGET")]
        target: Option<String>,
        /// Seconds of the capacity measurement.
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Print the JSON Schema of summary.json (checked in as schema/summary.schema.json).
    #[command(after_help = EXIT_0_2)]
    Schema,
}

fn parse_threshold(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if (0.0..=1000.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is outside [0, 1000] percent"))
    }
}
