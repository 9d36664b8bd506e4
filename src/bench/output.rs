//! What a bench run leaves besides its record: the report of the cells it measured
//! (`target/fanout/report/`), libtest-style bencher lines, saved baselines and the comparison
//! with one; and the profiler mode, which runs the real batch with nothing recorded.

use super::args::BenchArgs;
use super::Selection;
use crate::report::summary::Summary;
use crate::strategy::Settings;
use crate::target::Target;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Where `--save-baseline NAME` keeps a run's summary.
pub fn baseline_path(name: &str) -> PathBuf {
    crate::fsio::target_dir()
        .join("fanout")
        .join("baselines")
        .join(name)
        .join("summary.json")
}

/// After a measured run: the report, then what the flags asked for.
pub(crate) fn finish(args: &BenchArgs, record: &Path) -> anyhow::Result<()> {
    // The report of the cells this run measured goes beside the record; the committed
    // reference report in results/ is only ever written by `fanout report`.
    let out = record.with_file_name("report");
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let inputs = crate::report::Inputs {
        record: record.to_owned(),
        ..Default::default()
    };
    let summary = crate::report::generate(&inputs, &out, now, false)?;
    eprintln!(
        "fanout: report written to {}",
        out.join("README.md").display()
    );
    if args.bencher {
        print!("{}", bencher_lines(&summary));
    }
    if let Some(name) = &args.save_baseline {
        let path = baseline_path(name);
        let json = serde_json::to_vec_pretty(&summary).expect("the summary serializes");
        crate::fsio::write_atomic(&path, &json)?;
        eprintln!("fanout: baseline {name:?} saved to {}", path.display());
    }
    if let Some(name) = &args.baseline {
        let base = crate::report::read_summary(&baseline_path(name))?;
        let c = crate::compare::compare(&base, &summary, &crate::compare::Metric::Wall, 0.10);
        print!("{}", c.table());
    }
    Ok(())
}

/// One libtest-style line per measured cell, as criterion's `--output-format bencher` prints
/// them (median and standard deviation in whole nanoseconds, digits grouped by commas), which
/// github-action-benchmark's `cargo` tool reads.
pub fn bencher_lines(s: &Summary) -> String {
    let mut out = String::new();
    for c in s
        .cells
        .iter()
        .filter(|c| c.status == crate::report::summary::CellStatus::Ok)
    {
        let (Some(median), Some(sd)) = (c.median_ns, c.std_dev_ns) else {
            continue;
        };
        out.push_str(&format!(
            "test {} ... bench: {:>11} ns/iter (+/- {})\n",
            c.id(),
            grouped(median),
            grouped(sd)
        ));
    }
    out
}

fn grouped(v: f64) -> String {
    let digits = format!("{:.0}", v.max(0.0));
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `--profile-time SECONDS`: each selected cell's real batch, over and over for that long, in
/// this process (so a profiler attached to it sees the strategy's own code).
pub(crate) fn profile(sel: &Selection, seconds: f64) -> anyhow::Result<bool> {
    crate::limits::raise_open_files().ok();
    let target = Target::from_env()?;
    let mut all_ok = true;
    for (w, e) in &sel.cells {
        let requests = w.requests(&target.base_url());
        let mut s = e.build(&Settings::for_workload(w))?;
        let started = Instant::now();
        let (mut batches, mut bad) = (0, 0);
        while started.elapsed() < Duration::from_secs_f64(seconds) {
            let b = crate::run::run_batch(s.as_mut(), &requests, &target)?;
            batches += 1;
            bad += usize::from(b.problem().is_some());
        }
        all_ok &= bad == 0;
        eprintln!(
            "fanout: profiled {}/{}: {batches} batches in {:.1} s, {bad} did not verify",
            w.name,
            e.info.id,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(all_ok)
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(super::grouped(1234567.4), "1,234,567");
        assert_eq!(super::grouped(999.0), "999");
        assert_eq!(super::grouped(1000.0), "1,000");
    }
}
