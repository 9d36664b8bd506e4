//! `fanout`: parse, dispatch, map errors to exit codes. The library does the work.

use clap::Parser;
use fanout_bench::cli::{Cli, Command};
use fanout_bench::{commands, target};
use std::process::ExitCode;

fn main() -> ExitCode {
    target::serve_if_child();
    // A cell process of `fanout peers` (the orchestrator re-runs this binary for each one).
    if let Some(job) = fanout_bench::bench::cell::job_from_env() {
        return match job {
            Ok(job) => fanout_bench::bench::cell::main(job),
            Err(e) => {
                eprintln!("fanout cell: {e}");
                ExitCode::from(2)
            }
        };
    }
    // Before any server child starts, so it inherits the raised limit too.
    fanout_bench::limits::raise_open_files().ok();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::List { format } => commands::list(format.get()).map(|()| true),
        Command::Run {
            workload,
            strategy,
            profile,
            repeat,
            target,
            format,
        } => commands::run(
            &workload,
            &strategy,
            &profile,
            repeat,
            target.as_deref(),
            format.get(),
        ),
        Command::Peers {
            workload,
            strategy,
            profile,
        } => fanout_bench::bench::peers::run(&profile, &workload, &strategy),
        Command::Report {
            out,
            metrics,
            rerun,
            record,
        } => commands::report(&out, metrics, rerun, record),
        Command::Compare {
            baseline,
            current,
            threshold,
            metric,
            reference,
            format,
            report_only,
        } => commands::compare(
            &baseline,
            current.as_deref(),
            threshold,
            metric,
            &reference,
            format,
            report_only,
        ),
        Command::Export {
            format,
            summary,
            out,
        } => commands::export(format, summary.as_deref(), out.as_deref()).map(|()| true),
        Command::Calibrate {
            target,
            seconds,
            format,
        } => commands::calibrate(target.as_deref(), seconds, format.get()).map(|()| true),
        Command::Schema => commands::schema().map(|()| true),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("fanout: {e:#}");
            ExitCode::from(2)
        }
    }
}
