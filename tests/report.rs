//! The report, generated from a fixture made by a real bench run (tests/fixtures/run: the bench
//! record of tests/fixtures/profile.toml; one cell's status was edited to `failed` to cover
//! that case).

mod common;

use common::fixture;
use fanout_bench::report::summary::CellStatus;
use fanout_bench::report::{self, Inputs};
use std::path::PathBuf;

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fanout-report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The median of every timed batch of every round of one cell, straight from the record.
fn median_from_fixture(workload: &str, strategy: &str) -> f64 {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture().record).unwrap()).unwrap();
    let cell = v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["workload"] == workload && c["strategy"] == strategy)
        .unwrap();
    let mut walls: Vec<f64> = cell["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["timed"].as_array().unwrap().iter())
        .map(|b| b["wall_ns"].as_f64().unwrap())
        .collect();
    walls.sort_by(f64::total_cmp);
    let n = walls.len();
    match n % 2 {
        1 => walls[n / 2],
        _ => (walls[n / 2 - 1] + walls[n / 2]) / 2.0,
    }
}

/// The rendered Markdown, word for word: a change in the report is a reviewed diff of
/// tests/snapshots/ (`cargo insta review`, or `INSTA_UPDATE=always cargo test --test report`
/// and read `git diff`).
#[test]
fn the_rendered_report_is_the_reviewed_one() {
    let out = temp("snapshot");
    report::generate(&fixture(), &out, 1_700_000_000, false).unwrap();
    let md = std::fs::read_to_string(out.join("README.md")).unwrap();
    insta::assert_snapshot!("fixture_report_readme", md);
}

#[test]
fn the_report_shows_every_cell_with_its_status_and_traceable_numbers() {
    let out = temp("full");
    let summary = report::generate(&fixture(), &out, 1_700_000_000, false).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["schema_version"], 4);
    let cells = json["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 10);
    let count = |s: &str| cells.iter().filter(|c| c["status"] == s).count();
    assert_eq!((count("ok"), count("skipped"), count("failed")), (5, 4, 1));
    for c in cells {
        let has_time = !c["median_ns"].is_null();
        assert_eq!(
            has_time,
            c["status"] == "ok",
            "only verified cells publish a time: {c}"
        );
        if has_time {
            let (w, s) = (
                c["workload"].as_str().unwrap(),
                c["strategy"].as_str().unwrap(),
            );
            let median = c["median_ns"].as_f64().unwrap();
            assert_eq!(median, median_from_fixture(w, s));
            let (lo, hi) = (
                c["ci_lower_ns"].as_f64().unwrap(),
                c["ci_upper_ns"].as_f64().unwrap(),
            );
            assert!(lo <= median && median <= hi, "{c}");
            assert!(c["p90_ns"].as_f64().unwrap() >= median, "{c}");
            assert!(
                c["max_ns"].as_f64().unwrap() >= c["p90_ns"].as_f64().unwrap(),
                "{c}"
            );
            assert_eq!(c["rounds"], 3, "{c}");
            let ratio = c["ratio_to_floor"].as_f64().unwrap();
            assert!(
                (ratio - c["median_ns"].as_f64().unwrap() / c["floor_ns"].as_f64().unwrap()).abs()
                    < 1e-9
            );
        }
    }

    // One scale per workload: every cell shares the workload's achievable floor, which is the
    // largest of its parts, so ordering by ratio is ordering by median.
    for w in summary.workloads() {
        let f = summary.floor(w).unwrap();
        let parts = [Some(f.latency_ns), f.cpu_ns, f.transfer_ns, f.capacity_ns];
        assert_eq!(Some(f.floor_ns), parts.into_iter().flatten().max(), "{w}");
        let mut by_ratio: Vec<_> = summary.measured(w);
        for c in &by_ratio {
            assert_eq!(c.floor_ns, f.floor_ns, "{}", c.id());
        }
        by_ratio.sort_by(|a, b| {
            a.ratio_to_floor
                .unwrap()
                .total_cmp(&b.ratio_to_floor.unwrap())
        });
        let by_ratio: Vec<_> = by_ratio.iter().map(|c| c.id()).collect();
        let by_median: Vec<_> = summary.measured(w).iter().map(|c| c.id()).collect();
        assert_eq!(by_ratio, by_median, "{w}");
    }

    let md = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        md.contains("Achievable floor: **"),
        "no floor line under the workloads"
    );
    // The winner of each workload is the fastest verified cell, named in the first table.
    for w in ["fix-n20", "fix-n40"] {
        let winner = summary.ranked(w)[0];
        assert_eq!(winner.status, CellStatus::Ok);
        let best = summary
            .cells
            .iter()
            .filter(|c| c.workload == w && c.status == CellStatus::Ok)
            .map(|c| c.median_ns.unwrap())
            .fold(f64::MAX, f64::min);
        assert_eq!(winner.median_ns, Some(best));
        // Named alone only when its interval clears every other cell's, else in the tie set.
        let row = md
            .lines()
            .find(|l| l.starts_with(&format!("| {w} | {} | ", winner.requests)))
            .unwrap_or_else(|| panic!("no answer row for {w}: {md}"));
        let others_overlap = summary.measured(w).iter().skip(1).any(|c| {
            c.ci_lower_ns.unwrap() <= winner.ci_upper_ns.unwrap()
                && winner.ci_lower_ns.unwrap() <= c.ci_upper_ns.unwrap()
        });
        match others_overlap {
            false => assert!(row.contains(&format!("| `{}` |", winner.strategy)), "{row}"),
            true => assert!(
                row.contains("tied: ") && row.contains(&format!("`{}`", winner.strategy)),
                "{row}"
            ),
        }
    }
    assert!(
        md.contains("| `sequential/ureq` | - | - | n/a |"),
        "skipped cells are listed"
    );
    assert!(
        md.contains("skipped: its ideal floor is 0.20 s a batch"),
        "{md}"
    );
    assert!(md.contains("failed: edited in this fixture"));
    let answer = md.find("## Which strategy for N URLs?").unwrap();
    assert!(answer < md.find("## Findings").unwrap());
    assert!(md.contains("](charts/time-fix-n20.svg)"));

    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<figure class=\"chart\" data-chart=\"charts/time-fix-n20.svg\"><svg"));
    assert!(
        [
            "src=\"http",
            "href=\"http",
            "url(http",
            "<link",
            "<script src"
        ]
        .iter()
        .all(|needle| !html.contains(needle)),
        "the page must need no network"
    );
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn every_chart_is_well_formed_svg_with_a_drawing() {
    let out = temp("charts");
    report::generate(&fixture(), &out, 1, false).unwrap();
    let mut n = 0;
    for e in std::fs::read_dir(out.join("charts")).unwrap() {
        let path = e.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let doc =
            roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg", "{}", path.display());
        let filled = doc
            .descendants()
            .filter(|d| d.has_tag_name("rect"))
            .filter(|d| {
                d.attribute("width")
                    .and_then(|w| w.parse::<f64>().ok())
                    .is_some_and(|w| w > 1.0)
            })
            .count();
        let texts = doc.descendants().filter(|d| d.has_tag_name("text")).count();
        assert!(
            filled >= 3 && texts >= 5,
            "{} looks empty ({filled} rects, {texts} texts)",
            path.display()
        );
        n += 1;
    }
    // timeline, latency, time, cpu and connections per workload, and the heat map.
    assert_eq!(n, 2 * 5 + 1);
    // A timeline draws its bars as paths: one strip of bars per ok cell at least.
    let timeline = std::fs::read_to_string(out.join("charts/timeline-fix-n20.svg")).unwrap();
    let doc = roxmltree::Document::parse(&timeline).unwrap();
    assert!(doc.descendants().filter(|d| d.has_tag_name("path")).count() >= 3);
    assert!(
        timeline.contains(">skipped<"),
        "a skipped cell is shown as such"
    );
    std::fs::remove_dir_all(out).unwrap();
}

/// The probe batches' figures: every ok cell has its request latencies (every request of every
/// probe batch, from the record's spans), its allocations, a loop stall exactly when it runs an
/// executor, and its timeline in timelines.json.
#[test]
fn every_ok_cell_shows_why_from_its_probe_batches() {
    let out = temp("why");
    report::generate(&fixture(), &out, 1, false).unwrap();
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture().record).unwrap()).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let timelines: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("timelines.json")).unwrap())
            .unwrap();
    let mut ok = 0;
    for (c, r) in summary["cells"]
        .as_array()
        .unwrap()
        .iter()
        .zip(record["cells"].as_array().unwrap())
    {
        let id = format!(
            "{}/{}",
            c["workload"].as_str().unwrap(),
            c["strategy"].as_str().unwrap()
        );
        if c["status"] != "ok" {
            assert!(
                c["request_latency"].is_null() && timelines.get(&id).is_none(),
                "{id}"
            );
            continue;
        }
        ok += 1;
        let probes: Vec<&serde_json::Value> = r["rounds"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r.get("probe").filter(|p| !p.is_null()))
            .collect();
        assert!(
            !probes.is_empty(),
            "{id}: the first round always has a probe batch"
        );
        let n = c["requests"].as_u64().unwrap();
        let l = &c["request_latency"];
        assert_eq!(
            l["requests"].as_u64(),
            Some(n * probes.len() as u64),
            "{id}"
        );
        let p50 = l["p50_ns"].as_u64().unwrap();
        assert!(p50 > 0 && p50 <= l["p99_ns"].as_u64().unwrap(), "{id}");
        assert!(
            l["p99_ns"].as_u64().unwrap() <= l["max_ns"].as_u64().unwrap(),
            "{id}"
        );
        // The slowest request took no longer than its batch (histogram buckets are 0.1% wide).
        let longest = probes
            .iter()
            .map(|p| p["wall_ns"].as_u64().unwrap())
            .max()
            .unwrap();
        assert!(
            l["max_ns"].as_u64().unwrap() <= longest + longest / 500,
            "{id}"
        );
        assert!(c["allocations_per_request"].as_f64().unwrap() > 1.0, "{id}");
        assert!(
            c["allocated_bytes_per_request"].as_f64().unwrap() > 0.0,
            "{id}"
        );
        let executor = !c["strategy"].as_str().unwrap().starts_with("threads/");
        assert_eq!(!c["max_loop_stall_ns"].is_null(), executor, "{id}");
        let spans = timelines[&id]["spans_us"].as_array().unwrap();
        assert_eq!(spans.len() as u64, n, "{id}");
        assert!(
            spans.iter().all(|s| s.is_array()),
            "{id}: every request began"
        );
    }
    assert_eq!(ok, 5);
    let md = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(md.contains("| strategy | request latency p50 / p90 / p99 / max | max loop stall |"));
    assert!(
        md.contains("no executor"),
        "threads/pool-k has no loop to stall"
    );
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn the_same_inputs_give_the_same_files() {
    let (a, b) = (temp("det-a"), temp("det-b"));
    report::generate(&fixture(), &a, 42, false).unwrap();
    report::generate(&fixture(), &b, 42, false).unwrap();
    for rel in [
        "summary.json",
        "timelines.json",
        "README.md",
        "index.html",
        "charts/efficiency.svg",
        "charts/time-fix-n40.svg",
    ] {
        assert_eq!(
            std::fs::read(a.join(rel)).unwrap(),
            std::fs::read(b.join(rel)).unwrap(),
            "{rel}"
        );
    }
    std::fs::remove_dir_all(a).unwrap();
    std::fs::remove_dir_all(b).unwrap();
}

/// Generates into an output directory that already holds a report, from broken inputs: the
/// error names the file and the old report is untouched.
fn refused(name: &str, inputs: Inputs, wants: &[&str]) {
    let out = temp(name);
    std::fs::write(out.join("README.md"), "the previous report").unwrap();
    let err = report::generate(&inputs, &out, 1, false)
        .unwrap_err()
        .to_string();
    for want in wants {
        assert!(err.contains(want), "{err:?} lacks {want:?}");
    }
    assert_eq!(
        std::fs::read_to_string(out.join("README.md")).unwrap(),
        "the previous report"
    );
    let entries: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert_eq!(entries.len(), 1, "nothing else was written");
    let parent = out.parent().unwrap();
    let staging = std::fs::read_dir(parent).unwrap().flatten().any(|e| {
        e.file_name().to_string_lossy().starts_with(&format!(
            ".{}.staging",
            out.file_name().unwrap().to_string_lossy()
        ))
    });
    assert!(!staging, "the staging directory was left behind");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn bad_inputs_name_the_file_and_leave_the_previous_report() {
    let dir = temp("inputs");
    let missing = Inputs {
        record: dir.join("nope.json"),
        ..fixture()
    };
    refused("missing", missing, &["nope.json"]);

    let text = std::fs::read_to_string(fixture().record).unwrap();
    std::fs::write(dir.join("cut.json"), &text[..text.len() / 2]).unwrap();
    refused(
        "cut",
        Inputs {
            record: dir.join("cut.json"),
            ..fixture()
        },
        &["cut.json", "not a bench record"],
    );

    std::fs::write(
        dir.join("v9.json"),
        text.replacen("\"schema_version\": 3", "\"schema_version\": 9", 1),
    )
    .unwrap();
    refused(
        "schema",
        Inputs {
            record: dir.join("v9.json"),
            ..fixture()
        },
        &["v9.json", "schema_version 9"],
    );

    // A smoke run's record (`--test`) is refused: one batch a cell is a check, not a number.
    std::fs::write(
        dir.join("smoke.json"),
        text.replacen("\"mode\": \"measure\"", "\"mode\": \"test\"", 1),
    )
    .unwrap();
    refused(
        "smoke",
        Inputs {
            record: dir.join("smoke.json"),
            ..fixture()
        },
        &["smoke.json", "smoke run", "never published"],
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn recorded_runs_build_a_history_and_trend_charts() {
    let out = temp("history");
    report::generate(&fixture(), &out, 10, true).unwrap();
    assert!(
        !out.join("charts/trend-fix-n20.svg").exists(),
        "one run draws no trend"
    );
    report::generate(&fixture(), &out, 20, true).unwrap();
    let text = std::fs::read_to_string(out.join("history.jsonl")).unwrap();
    let runs: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1]["generated_unix"], 20);
    assert_eq!(runs[0]["cells"].as_object().unwrap().len(), 5);
    assert!(out.join("charts/trend-fix-n20.svg").exists());
    // Without --record the history is read, not extended.
    report::generate(&fixture(), &out, 30, false).unwrap();
    assert_eq!(
        std::fs::read_to_string(out.join("history.jsonl")).unwrap(),
        text
    );
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn a_cell_whose_server_used_most_of_a_core_is_marked_server_bound() {
    // The fixture's record with the server's CPU set by hand: one cell's server busy 90% of each
    // batch's wall time (the server made the bottleneck), every other cell 10%.
    let out = temp("server-bound");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture().record).unwrap()).unwrap();
    let mut bound = None;
    for cell in v["cells"].as_array_mut().unwrap() {
        if cell["status"] != "ok" {
            continue;
        }
        let share = if bound.is_none() { 0.9 } else { 0.1 };
        if bound.is_none() {
            bound = Some(format!(
                "{}/{}",
                cell["workload"].as_str().unwrap(),
                cell["strategy"].as_str().unwrap()
            ));
        }
        for round in cell["rounds"].as_array_mut().unwrap() {
            for b in round["timed"].as_array_mut().unwrap() {
                let wall = b["wall_ns"].as_f64().unwrap();
                b["server_cpu_ns"] = serde_json::json!((wall * share) as u64);
            }
        }
    }
    let bound = bound.unwrap();
    let record = out.join("metrics.json");
    std::fs::write(&record, serde_json::to_vec(&v).unwrap()).unwrap();
    let inputs = Inputs {
        record,
        ..fixture()
    };
    let summary = report::generate(&inputs, &out.join("report"), 1, false).unwrap();
    for c in summary.cells.iter().filter(|c| c.status == CellStatus::Ok) {
        assert_eq!(
            c.server_bound,
            c.id() == bound,
            "{}: {:?}",
            c.id(),
            c.server_busy
        );
        assert!(c.server_cpu_per_request_ns.is_some(), "{}", c.id());
    }
    let md = std::fs::read_to_string(out.join("report/README.md")).unwrap();
    let (w, s) = bound.split_once('/').unwrap();
    let row = md
        .split(&format!("### {w}\n"))
        .nth(1)
        .and_then(|t| t.lines().find(|l| l.starts_with(&format!("| `{s}` |"))))
        .unwrap();
    assert!(
        row.contains("**server-bound** (the server used 90% of a core)"),
        "{row}"
    );
    assert_eq!(md.matches("**server-bound**").count(), 1);
}

#[test]
fn a_result_against_expectation_gets_its_control_or_the_label_unexplained() {
    use fanout_bench::report::markdown;
    // fix-n20's three measured cells recast as the two bridges and the control, with
    // intervals set by hand: runtime-per-call clearly faster than the shared runtime.
    let mut s = common::summary();
    let set = |s: &mut fanout_bench::report::summary::Summary, from: &str, to: &str, ms: f64| {
        let c = s
            .cells
            .iter_mut()
            .find(|c| c.workload == "fix-n20" && c.strategy == from)
            .unwrap();
        c.strategy = to.into();
        c.median_ns = Some(ms * 1e6);
        c.ci_lower_ns = Some(ms * 0.95e6);
        c.ci_upper_ns = Some(ms * 1.05e6);
    };
    set(&mut s, "threads/pool-k", "bridge/shared-runtime", 20.0);
    set(
        &mut s,
        "bridge/runtime-per-call",
        "bridge/runtime-per-call",
        14.0,
    );
    set(&mut s, "gather/tokio-hyper", "gather/tokio-join-all", 14.2);
    let md = markdown::render(&s, &[]);
    assert!(md.contains("**Against expectation on fix-n20**"), "{md}");
    assert!(
        md.contains("where the gather is polled explains it"),
        "{md}"
    );

    // A control as slow as the shared runtime explains nothing.
    set(
        &mut s,
        "gather/tokio-join-all",
        "gather/tokio-join-all",
        20.1,
    );
    let md = markdown::render(&s, &[]);
    assert!(md.contains("does not explain it: **unexplained**"), "{md}");

    // The expected order raises nothing.
    set(
        &mut s,
        "bridge/runtime-per-call",
        "bridge/runtime-per-call",
        30.0,
    );
    assert!(!markdown::render(&s, &[]).contains("Against expectation"));
}
