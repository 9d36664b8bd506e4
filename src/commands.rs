//! What each `fanout` subcommand does, printed for a person (or as JSON for a machine).

use crate::calibrate::{self, Calibration};
use crate::profile;
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
pub fn list(json: bool) -> Result<()> {
    let strategies: Vec<_> = strategy::registry().into_iter().map(|e| e.info).collect();
    let mut profiles = Vec::new();
    for name in profile::names() {
        profiles.push((name.clone(), profile::load(&name)?));
    }
    if json {
        let profiles: serde_json::Map<String, serde_json::Value> = profiles
            .into_iter()
            .map(|(n, p)| (n, serde_json::to_value(p).expect("profiles serialize")))
            .collect();
        let out = serde_json::json!({ "strategies": strategies, "profiles": profiles });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("Strategies ({}):", strategies.len());
    for s in &strategies {
        println!("  {:<34} {}", s.id, s.description);
        println!("  {:<34} mirrors: {}", "", s.mirrors);
        println!("  {:<34} config:  {}", "", s.config);
    }
    for (name, p) in &profiles {
        println!("\nProfile {name}: {}", p.profile.description);
        for w in &p.workload {
            println!(
                "  {:<28} N={:<6} {:>8} B  floor(1)={:>10}  floor(all)={:>9}  {}",
                w.name,
                w.requests,
                w.bytes,
                ms(w.floor(Some(1))),
                ms(w.floor(None)),
                w.description
            );
        }
    }
    Ok(())
}

/// `fanout run`.
pub fn run(
    workload: &str,
    strategies: &str,
    profile_name: &str,
    repeat: u32,
    url: Option<&str>,
) -> Result<bool> {
    let file = profile::load(profile_name)?;
    let workloads = profile::select(&file, workload)?;
    let entries = strategy::select(strategies)?;
    let target = target(url)?;
    println!("mock server: {} ({})", target.base_url(), target.kind());
    let mut all_ok = true;
    // A bar over every batch of the run (drawn only on a terminal); result lines print above it.
    let total = (workloads.len() * entries.len()) as u64 * u64::from(repeat);
    let bar = indicatif::ProgressBar::new(total).with_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} batches, {elapsed} {msg}")
            .expect("a valid template"),
    );
    for w in &workloads {
        crate::limits::check_open_files(&w.name, w.requests, false)?;
    }
    for w in workloads {
        let requests = w.requests(&target.base_url());
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
                let verdict = match b.problem() {
                    None => "verified".to_owned(),
                    Some(why) => {
                        all_ok = false;
                        format!("NOT VALID: {why}")
                    }
                };
                say(&bar, format!(
                    "  {:<34} #{i}  {:>10}  floor {:>9}  x{:<6.2} errors {:<3} connections {:<4} peak in flight {:<5} {verdict}",
                    entry.info.id,
                    ms(b.wall),
                    ms(floor),
                    b.wall.as_secs_f64() / floor.as_secs_f64().max(1e-9),
                    errors(&b.outcomes),
                    b.server.connections_used,
                    b.server.peak_in_flight,
                ));
            }
        }
    }
    bar.finish_and_clear();
    Ok(all_ok)
}

/// `fanout calibrate`.
pub fn calibrate(url: Option<&str>, seconds: f64, json: bool) -> Result<()> {
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
    if json {
        println!("{}", serde_json::to_string_pretty(&c)?);
    } else {
        print!("{}", c.markdown());
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
            s.cells.retain(|c| (c.family == "python") == python);
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
                .filter(|c| c.status == "ok")
                .filter_map(|c| {
                    let o = other.cell(&c.workload, &c.strategy)?;
                    (o.status != "ok").then(|| format!("{} ({})", c.id(), o.status))
                })
                .collect(),
        });
    }
    let summary = crate::report::generate(&inputs, out, now, record)?;
    let count = |s: &str| summary.cells.iter().filter(|c| c.status == s).count();
    println!(
        "report written to {}: {} cells ok, {} skipped, {} failed, {} missing",
        out.display(),
        count("ok"),
        count("skipped"),
        count("failed"),
        count("missing")
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

/// `fanout compare`.
#[allow(clippy::too_many_arguments)]
pub fn compare(
    baseline: &str,
    current: &str,
    threshold: f64,
    metric: &str,
    reference: &str,
    format: &str,
    report_only: bool,
) -> Result<bool> {
    use crate::compare::{compare, Metric};
    let metric = match metric {
        "floor-ratio" => Metric::FloorRatio,
        "relative" => Metric::Relative(reference.to_owned()),
        "cpu" => Metric::Cpu,
        _ => Metric::Wall,
    };
    let base = load_side(baseline).with_context(|| format!("the baseline {baseline}"))?;
    let cur = load_side(current).with_context(|| format!("the current run {current}"))?;
    let c = compare(&base, &cur, &metric, threshold / 100.0);
    match format {
        "markdown" => print!("{}", c.markdown()),
        "json" => println!("{}", serde_json::to_string_pretty(&c)?),
        _ => print!("{}", c.table()),
    }
    Ok(report_only || c.regressions() == 0)
}

/// `fanout export`.
pub fn export(
    format: &str,
    summary: &std::path::Path,
    out: Option<&std::path::Path>,
) -> Result<()> {
    let exporter = crate::export::by_name(format).with_context(|| {
        format!(
            "unknown format {format:?}; the formats are {}",
            crate::export::FORMATS.join(", ")
        )
    })?;
    let s = crate::report::read_summary(summary)?;
    let text = exporter.export(&s);
    match out {
        Some(path) => crate::fsio::write_atomic(path, text.as_bytes())?,
        None => println!("{text}"),
    }
    Ok(())
}
