//! What each `fanout` subcommand does, printed for a person (or as JSON for a machine).

use crate::calibrate::{self, Calibration};
use crate::cli::{ExportFormat, Format, MetricArg};
use crate::profile;
use crate::report::summary::CellStatus;
use crate::run::{errors, run_batch};
use crate::strategy::{self, Settings};
use crate::target::Target;
use anyhow::{bail, Context, Result};
use std::time::Duration;

fn target(url: Option<&str>) -> Result<Target> {
    Ok(match url {
        Some(u) if !u.is_empty() => Target::remote(u)?,
        _ => Target::child()?,
    })
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Prints a line above the progress bar (and also when the bar is hidden, off a terminal).
fn say(bar: &indicatif::ProgressBar, line: String) {
    bar.suspend(|| println!("{line}"));
}

/// `fanout list`.
pub fn list(format: Format) -> Result<()> {
    let strategies: Vec<_> = strategy::registry().into_iter().map(|e| e.info).collect();
    let peers: Vec<_> = strategy::peers().into_iter().map(|e| e.info).collect();
    let mut profiles = Vec::new();
    for name in profile::names() {
        profiles.push((name.clone(), profile::load(&name)?));
    }
    match format {
        Format::Json => {
            let profiles: serde_json::Map<String, serde_json::Value> = profiles
                .into_iter()
                .map(|(n, p)| (n, serde_json::to_value(p).expect("profiles serialize")))
                .collect();
            let out = serde_json::json!({
                "strategies": strategies,
                "peers": peers,
                "profiles": profiles,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Format::Text | Format::Markdown => {
            // One walk over what exists; the format only decides how a line looks.
            let md = format == Format::Markdown;
            for (title, list) in [
                ("Strategies", &strategies),
                ("Python peers (`fanout peers`)", &peers),
            ] {
                if md {
                    println!("### {title} ({})\n", list.len());
                    println!("| strategy | family | what it does | mirrors | configuration |");
                    println!("|---|---|---|---|---|");
                } else {
                    println!("{title} ({}):", list.len());
                }
                for s in list {
                    if md {
                        println!(
                            "| `{}` | {} | {} | {} | {} |",
                            s.id, s.family, s.description, s.mirrors, s.config
                        );
                    } else {
                        println!("  {:<34} {}", s.id, s.description);
                        println!("  {:<34} mirrors: {}", "", s.mirrors);
                        println!("  {:<34} config:  {}", "", s.config);
                    }
                }
                println!();
            }
            for (name, p) in &profiles {
                if md {
                    println!("### Profile {name}\n\n{}\n", p.profile.description);
                    println!("| workload | N | bytes | floor, sequential | floor, unbounded | what it shows |");
                    println!("|---|---:|---:|---:|---:|---|");
                } else {
                    println!("Profile {name}: {}", p.profile.description);
                }
                for w in &p.workload {
                    let (one, all) = (ms(w.floor(Some(1))), ms(w.floor(None)));
                    let (n, b, d) = (w.requests, w.bytes, &w.description);
                    if md {
                        println!("| `{}` | {n} | {b} | {one} | {all} | {d} |", w.name);
                    } else {
                        println!(
                            "  {:<28} N={n:<6} {b:>8} B  floor(1)={one:>10}  floor(all)={all:>9}  {d}",
                            w.name
                        );
                    }
                }
                println!();
            }
        }
    }
    Ok(())
}

/// One batch of `fanout run`, as `--format json` prints it.
#[derive(serde::Serialize)]
struct RunBatch {
    workload: String,
    strategy: String,
    batch: u32,
    wall_ns: u64,
    /// The latency floor for the strategy's own concurrency (the summary's `own_floor_ns`).
    own_floor_ns: u64,
    ratio_to_own_floor: f64,
    errors: usize,
    connections: u64,
    peak_in_flight: u64,
    verified: bool,
    problem: Option<String>,
}

/// `fanout run`: every batch printed as it ends (text, Markdown rows), or one JSON document at
/// the end (`--format json`; the notes then go to standard error).
pub fn run(
    workload: &str,
    strategies: &str,
    profile_name: &str,
    repeat: u32,
    url: Option<&str>,
    format: Format,
) -> Result<bool> {
    let file = profile::load(profile_name)?;
    let workloads = profile::select(&file, workload)?;
    let entries = strategy::select(strategies)?;
    for w in &workloads {
        crate::limits::check_open_files(&w.name, w.requests, false)?;
    }
    let target = target(url)?;
    // A bar over every batch of the run (drawn only on a terminal); result lines print above it.
    let total = (workloads.len() * entries.len()) as u64 * u64::from(repeat);
    let bar = indicatif::ProgressBar::new(total).with_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} batches, {elapsed} {msg}")
            .expect("a valid template"),
    );
    let note = |line: String| match format {
        Format::Json => bar.suspend(|| eprintln!("{line}")),
        _ => say(&bar, line),
    };
    note(format!(
        "mock server: {} ({})",
        target.base_url(),
        target.kind()
    ));
    if format == Format::Markdown {
        say(
            &bar,
            "\n| workload | strategy | batch | wall | own floor | x own floor | errors | connections | peak in flight | verdict |\n\
             |---|---|---:|---:|---:|---:|---:|---:|---:|---|"
                .into(),
        );
    }
    let mut batches = Vec::new();
    for w in workloads {
        let requests = w.requests(&target.base_url());
        if format == Format::Text {
            say(
                &bar,
                format!(
                    "\n{}: N={} bytes={} timeout={} ms, floor sequential {}, unbounded {}",
                    w.name,
                    w.requests,
                    w.bytes,
                    w.timeout_ms,
                    ms(w.floor(Some(1))),
                    ms(w.floor(None))
                ),
            );
        }
        for entry in &entries {
            let limit = entry.info.concurrency.limit(w);
            let floor = w.floor(limit);
            let mut s = entry
                .build(&Settings::for_workload(w))
                .with_context(|| format!("workload {}", w.name))?;
            for i in 1..=repeat {
                bar.set_message(format!("{} #{i}", entry.info.id));
                let b = run_batch(s.as_mut(), &requests, &target)?;
                bar.inc(1);
                let problem = b.problem();
                let r = RunBatch {
                    workload: w.name.clone(),
                    strategy: entry.info.id.to_owned(),
                    batch: i,
                    wall_ns: b.wall.as_nanos() as u64,
                    own_floor_ns: floor.as_nanos() as u64,
                    ratio_to_own_floor: b.wall.as_secs_f64() / floor.as_secs_f64().max(1e-9),
                    errors: errors(&b.outcomes),
                    connections: b.server.connections_used,
                    peak_in_flight: b.server.peak_in_flight,
                    verified: problem.is_none(),
                    problem,
                };
                let verdict = match &r.problem {
                    None => "verified".to_owned(),
                    Some(why) => format!("NOT VALID: {why}"),
                };
                match format {
                    Format::Text => say(&bar, format!(
                        "  {:<34} #{i}  {:>10}  own floor {:>9}  x{:<6.2} errors {:<3} connections {:<4} peak in flight {:<5} {verdict}",
                        r.strategy, ms(b.wall), ms(floor), r.ratio_to_own_floor, r.errors, r.connections, r.peak_in_flight,
                    )),
                    Format::Markdown => say(&bar, format!(
                        "| `{}` | `{}` | {i} | {} | {} | {:.2} | {} | {} | {} | {verdict} |",
                        r.workload, r.strategy, ms(b.wall), ms(floor), r.ratio_to_own_floor, r.errors, r.connections, r.peak_in_flight,
                    )),
                    Format::Json => {}
                }
                batches.push(r);
            }
        }
    }
    bar.finish_and_clear();
    if format == Format::Json {
        let out = serde_json::json!({
            "target": target.base_url(),
            "profile": profile_name,
            "batches": batches,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(batches.iter().all(|b| b.verified))
}

/// `fanout calibrate`.
pub fn calibrate(url: Option<&str>, seconds: f64, format: Format) -> Result<()> {
    if !(0.1..=60.0).contains(&seconds) {
        bail!("--seconds {seconds} is outside [0.1, 60]");
    }
    let target = target(url)?;
    eprintln!(
        "calibrating the mock server at {} ({}), about {:.0} s...",
        target.base_url(),
        target.kind(),
        seconds + 8.0
    );
    let plan = calibrate::Plan {
        capacity_time: Duration::from_secs_f64(seconds),
        ..calibrate::Plan::default()
    };
    let c: Calibration = calibrate::calibrate(&target, &plan)
        .with_context(|| format!("calibrating {}", target.base_url()))?;
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&c)?),
        Format::Markdown => print!("{}", c.markdown()),
        Format::Text => print!("{}", c.text()),
    }
    Ok(())
}

/// `fanout report`.
pub fn report(
    out: &std::path::Path,
    metrics: Option<std::path::PathBuf>,
    rerun: Option<std::path::PathBuf>,
    record: bool,
) -> Result<bool> {
    let mut inputs = crate::report::Inputs::default();
    if let Some(r) = metrics {
        inputs.record = r;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    if let Some(path) = rerun {
        use crate::compare::{compare, Metric};
        let this = crate::report::summarize(&inputs, now)?;
        let other = crate::report::read_summary(&path)
            .with_context(|| format!("the rerun {}", path.display()))?;
        // The Rust strategies and the Python peers apart: the peers' spread is their own.
        let part = |s: &crate::report::summary::Summary, python: bool| {
            let mut s = s.clone();
            s.cells
                .retain(|c| (c.family == crate::strategy::Family::Python) == python);
            s
        };
        let c = compare(
            &part(&this, false),
            &part(&other, false),
            &Metric::Wall,
            0.10,
        );
        let s = c
            .spread
            .clone()
            .with_context(|| format!("{} shares no measured cell with this run", path.display()))?;
        let py = compare(&part(&this, true), &part(&other, true), &Metric::Wall, 0.10);
        inputs.rerun = Some(crate::report::summary::Rerun {
            run_started_unix: other.run_started_unix,
            regressions: c.regressions(),
            python: py
                .spread
                .clone()
                .map(|spread| crate::report::summary::RerunPart {
                    regressions: py.regressions(),
                    spread,
                }),
            spread: s,
            not_measured_in_rerun: this
                .cells
                .iter()
                .filter(|c| c.status == CellStatus::Ok)
                .filter_map(|c| {
                    let o = other.cell(&c.workload, &c.strategy)?;
                    (o.status != CellStatus::Ok).then(|| format!("{} ({})", c.id(), o.status))
                })
                .collect(),
        });
    }
    let summary = crate::report::generate(&inputs, out, now, record)?;
    let count = |s| summary.cells.iter().filter(|c| c.status == s).count();
    println!(
        "report written to {}: {} cells ok, {} skipped, {} failed, {} missing",
        out.display(),
        count(CellStatus::Ok),
        count(CellStatus::Skipped),
        count(CellStatus::Failed),
        count(CellStatus::Missing)
    );
    // Failed cells are results, shown in the report; the exit code says whether it was written.
    Ok(true)
}

/// A summary.json by path, or a baseline saved by `cargo bench -- --save-baseline NAME`.
fn load_side(arg: &str) -> Result<crate::report::summary::Summary> {
    let path = std::path::Path::new(arg);
    if path.exists() || arg.ends_with(".json") {
        return Ok(crate::report::read_summary(path)?);
    }
    let saved = crate::bench::baseline_path(arg);
    if !saved.exists() {
        bail!(
            "{arg:?} is neither a summary.json nor a baseline saved as {} \
             (save one with `cargo bench -- --save-baseline {arg}`)",
            saved.display()
        );
    }
    Ok(crate::report::read_summary(&saved)?)
}

/// The summary of the last `cargo bench` (the default of `compare --current` and `export`).
fn last_run() -> std::path::PathBuf {
    crate::bench::record::default_path()
        .with_file_name("report")
        .join("summary.json")
}

/// The last run's summary, the default of `flag`, which must then exist.
fn last_run_for(flag: &str) -> Result<std::path::PathBuf> {
    let last = last_run();
    if !last.exists() {
        bail!(
            "no {flag} given and no last run at {} (run `cargo bench` first, or give \
             {flag} results/summary.json for the committed reference)",
            last.display()
        );
    }
    Ok(last)
}

/// `fanout compare`.
#[allow(clippy::too_many_arguments)]
pub fn compare(
    baseline: &str,
    current: Option<&str>,
    threshold: f64,
    metric: MetricArg,
    reference: &str,
    format: Format,
    report_only: bool,
) -> Result<bool> {
    use crate::compare::{compare, Metric};
    let metric = match metric {
        MetricArg::Wall => Metric::Wall,
        MetricArg::FloorRatio => Metric::FloorRatio,
        MetricArg::Relative => Metric::Relative(reference.to_owned()),
        MetricArg::Cpu => Metric::Cpu,
    };
    let current = match current {
        Some(c) => c.to_owned(),
        None => last_run_for("--current")?.display().to_string(),
    };
    let base = load_side(baseline).with_context(|| format!("the baseline {baseline}"))?;
    let cur = load_side(&current).with_context(|| format!("the current run {current}"))?;
    let c = compare(&base, &cur, &metric, threshold / 100.0);
    match format {
        Format::Markdown => print!("{}", c.markdown()),
        Format::Json => println!("{}", serde_json::to_string_pretty(&c)?),
        Format::Text => print!("{}", c.table()),
    }
    Ok(report_only || c.regressions() == 0)
}

/// `fanout export`.
pub fn export(
    format: ExportFormat,
    summary: Option<&std::path::Path>,
    out: Option<&std::path::Path>,
) -> Result<()> {
    let path = match summary {
        Some(p) => p.to_owned(),
        None => last_run_for("--summary")?,
    };
    let s = crate::report::read_summary(&path)?;
    let text = crate::export::export(format, &s);
    match out {
        Some(path) => crate::fsio::write_atomic(path, text.as_bytes())?,
        None => println!("{text}"),
    }
    Ok(())
}

/// `fanout schema`: summary.json's JSON Schema.
pub fn schema() -> Result<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(&crate::report::summary::json_schema())?
    );
    Ok(())
}
