//! The `fanout` command line as a user meets it: one output convention (`--format
//! text|json|markdown`), defaults that point at the last run, and help that says every command
//! and its exit codes. The runs here go to a real mock server on loopback.

use std::path::Path;
use std::process::{Command, Output};

fn fanout(args: &[&str], target_dir: Option<&Path>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fanout"));
    c.args(args);
    if let Some(d) = target_dir {
        c.env("CARGO_TARGET_DIR", d);
    }
    c.env_remove("FANOUT_TARGET").output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const PROFILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/profile.toml");

/// `fanout run` on the fixture profile's smallest workload.
fn run_fix_n20(strategies: &str, repeat: &str, format: &str) -> Output {
    let args = [
        "run", "-p", PROFILE, "-w", "fix-n20", "-s", strategies, "-r", repeat,
    ];
    fanout(&[&args[..], &["--format", format]].concat(), None)
}

#[test]
fn run_prints_one_json_document_with_every_batch() {
    let out = run_fix_n20("sequential/ureq,gather/tokio-hyper", "2", "json");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out.stdout)));
    let batches = v["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 4, "2 strategies x 2 batches");
    for b in batches {
        assert_eq!(b["workload"], "fix-n20");
        assert_eq!(b["verified"], true, "{b}");
        assert!(b["wall_ns"].as_u64().unwrap() >= 10_000_000, "{b}");
        assert!(b["ratio_to_own_floor"].as_f64().unwrap() > 0.0, "{b}");
    }
    assert_eq!(batches[0]["strategy"], "sequential/ureq");
    assert_eq!(batches[0]["connections"], 1);
    // The notes went to standard error, not into the document.
    assert!(text(&out.stderr).contains("mock server:"));
}

#[test]
fn run_in_markdown_is_a_table_of_batches() {
    let out = run_fix_n20("sequential/ureq", "1", "markdown");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let md = text(&out.stdout);
    assert!(md.contains("| workload | strategy | batch |"), "{md}");
    assert!(md.contains("| `fix-n20` | `sequential/ureq` | 1 |"), "{md}");
}

#[test]
fn list_speaks_every_format() {
    let json = fanout(&["list", "--format", "json"], None);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(v["strategies"].as_array().unwrap().len() >= 20);
    assert_eq!(
        v["peers"].as_array().unwrap().len(),
        12,
        "the Python peers are listed too"
    );
    // The older spelling still works.
    let old = fanout(&["list", "--json"], None);
    assert_eq!(old.stdout, json.stdout);
    let md = text(&fanout(&["list", "--format", "markdown"], None).stdout);
    assert!(md.contains("| `gather/tokio-hyper` | gather |"), "{md}");
    let bad = fanout(&["list", "--format", "yaml"], None);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("text, json, markdown"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn export_and_compare_default_to_the_last_run_and_say_when_there_is_none() {
    let dir = std::env::temp_dir().join(format!("fanout-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // No last run in this target directory: exit 2, naming where it looked and what to do.
    let out = fanout(&["export", "--format", "bmf"], Some(&dir));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("fanout/report/summary.json") && err.contains("cargo bench"),
        "{err}"
    );
    let out = fanout(
        &["compare", "--baseline", "results/summary.json"],
        Some(&dir),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--current"),
        "{}",
        text(&out.stderr)
    );
    // With a last run there, both read it.
    let last = dir.join("fanout/report");
    std::fs::create_dir_all(&last).unwrap();
    let published = concat!(env!("CARGO_MANIFEST_DIR"), "/results/quick/summary.json");
    std::fs::copy(published, last.join("summary.json")).unwrap();
    let out = fanout(&["export", "--format", "github"], Some(&dir));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v.as_array().unwrap().is_empty());
    let out = fanout(
        &["compare", "--baseline", published, "--format", "json"],
        Some(&dir),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(c["rows"].as_array().unwrap().len() > 10);
    std::fs::remove_dir_all(&dir).unwrap();
}

const COMMANDS: [&str; 8] = [
    "list",
    "run",
    "peers",
    "report",
    "compare",
    "export",
    "calibrate",
    "schema",
];

#[test]
fn help_names_every_command_and_the_exit_codes() {
    let top = text(&fanout(&["--help"], None).stdout);
    for cmd in COMMANDS {
        assert!(
            top.lines().any(|l| l.trim_start().starts_with(cmd)),
            "{cmd} missing from:\n{top}"
        );
    }
    assert!(top.contains("EXIT STATUS"), "{top}");
    for cmd in COMMANDS {
        let help = text(&fanout(&[cmd, "--help"], None).stdout);
        assert!(help.contains("EXIT STATUS:\n  0  "), "{cmd}:\n{help}");
        assert!(help.contains("\n  2  "), "{cmd}:\n{help}");
    }
    let export = text(&fanout(&["export", "--help"], None).stdout);
    assert!(
        export.contains("bmf") && export.contains("Bencher") && export.contains("github"),
        "{export}"
    );
}

#[test]
fn the_schema_command_prints_the_checked_in_schema() {
    let out = fanout(&["schema"], None);
    assert_eq!(out.status.code(), Some(0));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/summary.schema.json");
    let checked_in: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    assert_eq!(printed, checked_in);
}
