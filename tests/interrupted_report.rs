//! A report run killed at any moment leaves the previous report whole: files are staged and
//! moved into place one by one, each by an atomic rename.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[test]
fn killing_fanout_report_midway_leaves_a_whole_report() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run");
    let out = std::env::temp_dir().join(format!("fanout-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_fanout"))
            .args(["report", "--out"])
            .arg(&out)
            .arg("--metrics")
            .arg(fixture.join("metrics.json"))
            .spawn()
            .unwrap()
    };
    assert!(run().wait().unwrap().success());
    let complete = std::fs::read_to_string(out.join("README.md")).unwrap();
    for delay_ms in [0, 2, 5, 10, 20, 40, 80] {
        let mut child = run();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        // Every file present is whole: the README is the complete report (same inputs, same
        // text), and summary.json parses.
        let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
        assert_eq!(readme, complete, "killed after {delay_ms} ms");
        let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
        serde_json::from_str::<serde_json::Value>(&summary).unwrap();
    }
    std::fs::remove_dir_all(&out).unwrap();
}
