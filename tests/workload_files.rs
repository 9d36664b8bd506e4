//! Workload files: what they accept, what they refuse and how the refusal reads.

use fanout_bench::outcome::Expected;
use fanout_bench::{ErrorKind, ProfileFile, Workload};
use mock_server::Fault;
use std::path::Path;
use std::time::Duration;

const BASE: &str = r#"
[[workload]]
name = "w"
requests = 200
bytes = 64
latency = { model = "fixed", ms = 10 }
"#;

fn parse(text: &str) -> Result<ProfileFile, String> {
    ProfileFile::parse(text, Path::new("profile.toml")).map_err(|e| e.to_string())
}

fn with(extra: &str) -> String {
    format!("{BASE}{extra}\n")
}

fn workload(text: &str) -> Workload {
    parse(text).unwrap().workload.remove(0)
}

fn refused(text: &str, wants: &[&str]) {
    let err = parse(text).expect_err("the file should be refused");
    for want in wants {
        assert!(err.contains(want), "error {err:?} lacks {want:?}");
    }
}

#[test]
fn a_minimal_workload_gets_the_documented_defaults() {
    let w = workload(BASE);
    assert_eq!(
        (w.timeout_ms, w.seed, w.concurrency, w.cpu_work),
        (5000, 1, 64, 0)
    );
    assert!(!w.faults.any());
}

#[test]
fn every_file_in_the_repository_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let file = ProfileFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                !file.workload.is_empty(),
                "{} has no workload",
                path.display()
            );
            n += 1;
        }
    }
    assert!(n >= 1, "no profile files in {}", dir.display());
}

#[test]
fn the_same_seed_gives_the_same_requests() {
    let text = r#"
[[workload]]
name = "heavy"
requests = 500
bytes = 10
latency = { model = "pareto", scale_ms = 2, shape = 1.2, max_ms = 400 }
faults = { status_500 = 0.02, reset = 0.02, stall = 0.02, truncated = 0.02 }
"#;
    let a = workload(text).requests("http://127.0.0.1:1");
    let b = workload(text).requests("http://127.0.0.1:1");
    assert_eq!(a, b);
    let c = workload(&text.replace("requests = 500", "requests = 500\nseed = 2"))
        .requests("http://127.0.0.1:1");
    assert_ne!(a, c, "another seed should give other latencies");
}

#[test]
fn fault_fractions_are_exact_counts_with_matching_expectations() {
    let w = workload(&with(
        "faults = { status_500 = 0.05, reset = 0.02, stall = 0.01, truncated = 0.03 }",
    ));
    let reqs = w.requests("http://127.0.0.1:1");
    let count = |f: Fault| reqs.iter().filter(|r| r.planned.fault == Some(f)).count();
    assert_eq!(
        [
            count(Fault::Status500),
            count(Fault::Reset),
            count(Fault::Stall),
            count(Fault::Truncated)
        ],
        [10, 4, 2, 6]
    );
    for r in &reqs {
        let want = match r.planned.fault {
            None => "Body",
            Some(Fault::Status500) => "Status",
            Some(_) => "Error",
        };
        assert!(format!("{:?}", r.expected).starts_with(want), "{r:?}");
        if r.planned.fault == Some(Fault::Stall) {
            assert_eq!(r.expected, Expected::Error(ErrorKind::Timeout));
        }
    }
}

#[test]
fn urls_carry_the_plan() {
    let w = workload(&with("faults = { reset = 0.5 }"));
    let reqs = w.requests("http://127.0.0.1:9/");
    assert_eq!(
        reqs[0].url.split('?').next(),
        Some("http://127.0.0.1:9/r/0")
    );
    for r in &reqs {
        assert!(r.url.contains("lat_us=10000&bytes=64"), "{}", r.url);
        assert_eq!(
            r.url.contains("fault=reset"),
            r.planned.fault == Some(Fault::Reset)
        );
    }
}

#[test]
fn latency_models_stay_in_their_bounds() {
    let models = [
        (
            "{ model = \"uniform\", min_ms = 5, max_ms = 15 }",
            5.0,
            15.0,
        ),
        (
            "{ model = \"lognormal\", median_ms = 10, sigma = 1, max_ms = 50 }",
            0.0,
            50.0,
        ),
        (
            "{ model = \"pareto\", scale_ms = 2, shape = 1.1, max_ms = 300 }",
            2.0,
            300.0,
        ),
    ];
    for (model, lo, hi) in models {
        let w = workload(&BASE.replace("{ model = \"fixed\", ms = 10 }", model));
        let ms: Vec<f64> = w
            .plan()
            .iter()
            .map(|p| p.latency.as_secs_f64() * 1e3)
            .collect();
        assert!(ms.iter().all(|&m| m >= lo && m <= hi), "{model}: {ms:?}");
        let distinct: std::collections::BTreeSet<u64> =
            ms.iter().map(|m| (m * 1e3) as u64).collect();
        assert!(distinct.len() > 50, "{model} should vary");
    }
}

#[test]
fn floors_follow_the_plan() {
    let w = workload(&with("faults = { stall = 0.01 }\ntimeout_ms = 500"));
    // 198 requests of 10 ms and 2 stalls that cost the 500 ms timeout.
    assert_eq!(w.floor(Some(1)), Duration::from_millis(198 * 10 + 2 * 500));
    assert_eq!(w.floor(None), Duration::from_millis(500));
    assert!(w.floor(Some(64)) >= Duration::from_millis(500));
}

#[test]
fn unknown_keys_are_refused_by_name() {
    refused(
        &with("colour = 1"),
        &["profile.toml", "unknown field `colour`"],
    );
    refused(
        &BASE.replace("ms = 10 }", "ms = 10, jitter = 1 }"),
        &["profile.toml", "jitter"],
    );
    refused(
        &with("faults = { timeout = 0.1 }"),
        &["unknown field `timeout`"],
    );
    refused(
        &format!("[profile]\nbudget = 1\n{BASE}"),
        &["unknown field `budget`"],
    );
}

#[test]
fn an_unknown_latency_model_is_refused_with_the_known_ones() {
    refused(
        &BASE.replace("\"fixed\"", "\"gauss\""),
        &["profile.toml", "gauss", "fixed", "pareto"],
    );
}

#[test]
fn impossible_values_name_the_field_and_the_range() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "requests = 200",
            "requests = 0",
            &["workload \"w\"", "requests = 0 is outside [1, 1000000]"],
        ),
        ("requests = 200", "requests = -3", &["requests"]),
        (
            "bytes = 64",
            "bytes = 100000000",
            &["bytes = 100000000 is outside [0, 67108864]"],
        ),
        (
            "ms = 10",
            "ms = -1",
            &["latency.ms = -1 is outside [0, 60000]"],
        ),
        (
            "ms = 10",
            "ms = 70000",
            &["latency.ms = 70000 is outside [0, 60000]"],
        ),
        (
            "name = \"w\"",
            "name = \"a b\"",
            &["name = \"a b\" must be non-empty"],
        ),
    ];
    for (from, to, wants) in cases {
        refused(&BASE.replace(from, to), wants);
    }
    let extra: &[(&str, &[&str])] = &[
        (
            "faults = { reset = 1.5 }",
            &["faults.reset = 1.5 is outside [0, 1]"],
        ),
        (
            "faults = { stall = -0.1 }",
            &["faults.stall = -0.1 is outside [0, 1]"],
        ),
        (
            "faults = { reset = 0.6, stall = 0.6 }",
            &["faults add up to 1.2"],
        ),
        ("timeout_ms = 0", &["timeout_ms = 0 is outside [1, 60000)"]),
        ("timeout_ms = 60000", &["timeout_ms = 60000 is outside"]),
        (
            "timeout_ms = 50",
            &["timeout_ms = 50 leaves no room", "(10 ms)"],
        ),
        ("concurrency = 0", &["concurrency = 0 is outside [1"]),
    ];
    for (line, wants) in extra {
        refused(&with(line), wants);
    }
    refused(
        &BASE.replace(
            "{ model = \"fixed\", ms = 10 }",
            "{ model = \"uniform\", min_ms = 9, max_ms = 3 }",
        ),
        &["latency.max_ms = 3 is below latency.min_ms = 9"],
    );
    refused(
        &BASE.replace(
            "{ model = \"fixed\", ms = 10 }",
            "{ model = \"pareto\", scale_ms = 1, shape = 0 }",
        ),
        &["latency.shape = 0 is outside (0, 100]"],
    );
    refused(
        &(BASE.replace("bytes = 64", "bytes = 0") + "faults = { truncated = 0.1 }\n"),
        &["faults.truncated needs bytes >= 1"],
    );
}

#[test]
fn duplicate_names_are_refused() {
    refused(
        &format!("{BASE}{BASE}"),
        &["workload \"w\": name is used by two workloads"],
    );
}

#[test]
fn a_missing_file_is_named() {
    let err = ProfileFile::load(Path::new("no/such/profile.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no/such/profile.toml"), "{err}");
}

#[test]
fn workload_selectors_that_match_nothing_list_what_exists() {
    let file = parse(&format!("{BASE}{}", BASE.replace("\"w\"", "\"other\""))).unwrap();
    let err = fanout_bench::profile::select(&file, "nope*")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"nope*\"") && err.contains("w, other"),
        "{err}"
    );
    assert_eq!(fanout_bench::profile::select(&file, "o*").unwrap().len(), 1);
}
