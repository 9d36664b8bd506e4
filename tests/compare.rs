//! `fanout compare` on crafted pairs of summaries (made from the report fixture): regressions
//! are flagged only when real, noise is recognized, and bad input exits 2 naming the file.

mod common;

use fanout_bench::compare::{compare, Metric, Verdict};
use fanout_bench::report::summary::Summary;
use std::process::Command;

fn base() -> Summary {
    common::summary()
}

const CELL: &str = "fix-n20/gather/tokio-hyper";

/// Scales one cell's median by `factor` and its interval half-width by `spread`.
fn with_change(s: &Summary, id: &str, factor: f64, spread: f64) -> Summary {
    let mut s = s.clone();
    let c = s.cells.iter_mut().find(|c| c.id() == id).unwrap();
    let m = c.median_ns.unwrap();
    let half = (c.ci_upper_ns.unwrap() - c.ci_lower_ns.unwrap()) / 2.0 * spread;
    c.median_ns = Some(m * factor);
    c.ci_lower_ns = Some(m * factor - half);
    c.ci_upper_ns = Some(m * factor + half);
    s
}

fn verdict_of(a: &Summary, b: &Summary, metric: &Metric, id: &str) -> Verdict {
    compare(a, b, metric, 0.10)
        .rows
        .into_iter()
        .find(|r| r.id == id)
        .unwrap()
        .verdict
}

#[test]
fn a_clear_regression_is_flagged_and_an_improvement_named() {
    let a = base();
    assert_eq!(
        verdict_of(&a, &with_change(&a, CELL, 1.5, 1.0), &Metric::Wall, CELL),
        Verdict::Regressed
    );
    assert_eq!(
        verdict_of(&a, &with_change(&a, CELL, 0.5, 1.0), &Metric::Wall, CELL),
        Verdict::Improved
    );
    let c = compare(&a, &with_change(&a, CELL, 1.5, 1.0), &Metric::Wall, 0.10);
    assert_eq!(c.regressions(), 1);
    assert!(
        c.markdown().contains(&format!("| `{CELL}` |")) && c.markdown().contains("**regressed**")
    );
}

#[test]
fn a_change_inside_the_noise_is_noise() {
    let a = base();
    let c = a.cell("fix-n20", "gather/tokio-hyper").unwrap();
    // An interval wide enough to overlap the old one.
    let spread =
        0.4 * c.median_ns.unwrap() / ((c.ci_upper_ns.unwrap() - c.ci_lower_ns.unwrap()) / 2.0);
    let b = with_change(&a, CELL, 1.25, spread);
    assert_eq!(verdict_of(&a, &b, &Metric::Wall, CELL), Verdict::Noise);
}

#[test]
fn a_change_under_the_threshold_is_unchanged() {
    let a = base();
    assert_eq!(
        verdict_of(&a, &with_change(&a, CELL, 1.05, 0.01), &Metric::Wall, CELL),
        Verdict::Unchanged
    );
    assert_eq!(verdict_of(&a, &a, &Metric::Wall, CELL), Verdict::Unchanged);
}

#[test]
fn cells_on_one_side_only_are_added_or_removed() {
    let a = base();
    let mut b = a.clone();
    b.cells.retain(|c| c.id() != CELL);
    assert_eq!(verdict_of(&a, &b, &Metric::Wall, CELL), Verdict::Removed);
    assert_eq!(verdict_of(&b, &a, &Metric::Wall, CELL), Verdict::Added);
    // Skipped cells have no value on either side.
    assert_eq!(
        verdict_of(&a, &a, &Metric::Wall, "fix-n20/sequential/ureq"),
        Verdict::Unmeasured
    );
}

#[test]
fn on_another_machine_only_the_floor_ratio_is_comparable() {
    let a = base();
    // A machine twice as slow: every time doubles, and so does the achievable floor (its CPU,
    // transfer and capacity parts are measured on that machine).
    let mut b = a.clone();
    for c in &mut b.cells {
        for v in [&mut c.median_ns, &mut c.ci_lower_ns, &mut c.ci_upper_ns] {
            *v = v.map(|x| x * 2.0);
        }
        c.floor_ns *= 2;
    }
    assert!(a.cell("fix-n20", "gather/tokio-hyper").unwrap().floor_ns > 0);
    assert_eq!(compare(&a, &b, &Metric::Wall, 0.10).regressions(), 5);
    let ratio = compare(&a, &b, &Metric::FloorRatio, 0.10);
    assert_eq!(ratio.regressions(), 0);
    // Every measured cell was compared (a metric with no value would pass vacuously) ...
    let valued = ratio
        .rows
        .iter()
        .filter(|r| r.old.is_some() && r.new.is_some())
        .count();
    assert_eq!(valued, 5);
    let rel = Metric::Relative("gather/tokio-hyper".into());
    assert_eq!(compare(&a, &b, &rel, 0.10).regressions(), 0);
    // ... and a cell that lost ground on that machine beyond the doubling (its time 1.5x, its
    // floor not) is the one the floor ratio flags, and the only one.
    let worse = with_change(&b, CELL, 1.5, 0.01);
    let ratio = compare(&a, &worse, &Metric::FloorRatio, 0.10);
    assert_eq!(ratio.regressions(), 1);
    assert_eq!(
        verdict_of(&a, &worse, &Metric::FloorRatio, CELL),
        Verdict::Regressed
    );
}

fn fanout(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_input_exits_2_and_names_the_file() {
    let dir = std::env::temp_dir().join(format!("fanout-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.json");
    std::fs::write(&good, serde_json::to_string(&base()).unwrap()).unwrap();
    let corrupt = dir.join("corrupt.json");
    std::fs::write(&corrupt, "{\"schema_version\": 4, \"cells\": [").unwrap();
    let other = dir.join("v9.json");
    std::fs::write(
        &other,
        serde_json::to_string(&base()).unwrap().replacen(
            "\"schema_version\":4",
            "\"schema_version\":9",
            1,
        ),
    )
    .unwrap();
    let missing = dir.join("missing.json");
    for (bad, want) in [
        (&missing, "missing.json"),
        (&corrupt, "corrupt.json"),
        (&other, "schema_version 9"),
    ] {
        let (code, err) = fanout(&[
            "compare",
            "--baseline",
            bad.to_str().unwrap(),
            "--current",
            good.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(want), "{err}");
    }
    let (code, _) = fanout(&[
        "compare",
        "--baseline",
        good.to_str().unwrap(),
        "--current",
        good.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let slower = dir.join("slower.json");
    std::fs::write(
        &slower,
        serde_json::to_string(&with_change(&base(), CELL, 2.0, 1.0)).unwrap(),
    )
    .unwrap();
    let (code, _) = fanout(&[
        "compare",
        "--baseline",
        good.to_str().unwrap(),
        "--current",
        slower.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "a regression exits 1");
    let (code, _) = fanout(&[
        "compare",
        "--report-only",
        "--baseline",
        good.to_str().unwrap(),
        "--current",
        slower.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "--report-only never gates");
    std::fs::remove_dir_all(dir).unwrap();
}
