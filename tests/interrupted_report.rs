//! A report run killed at any moment leaves a whole report: the old one or the new one, never a
//! mix of the two, and whatever else the directory held (another report under it) stays.
//! The two runs here write different reports (the record's seed differs, so its intervals and
//! its README do), so a mix would show.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every file under `dir`, by relative path; summary.json without `generated_unix`, the one
/// figure two writes of one report differ in (the second it was written).
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                let mut bytes = std::fs::read(&p).unwrap();
                if rel == "summary.json" {
                    let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                    v.as_object_mut().unwrap().remove("generated_unix");
                    bytes = serde_json::to_vec(&v).unwrap();
                }
                out.insert(rel, bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn report(record: &Path, out: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args(["report", "--out"])
        .arg(out)
        .arg("--metrics")
        .arg(record)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn killing_fanout_report_midway_leaves_the_old_report_or_the_new_one() {
    let tmp = std::env::temp_dir().join(format!("fanout-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let a = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run/metrics.json");
    let mut record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&a).unwrap()).unwrap();
    record["seed"] = 2.into();
    let b = tmp.join("b.json");
    std::fs::write(&b, serde_json::to_vec(&record).unwrap()).unwrap();

    // Each report whole, on its own, with a file of another report kept beside it.
    let whole = |record: &PathBuf, name: &str| {
        let dir = tmp.join(name);
        std::fs::create_dir_all(dir.join("quick")).unwrap();
        std::fs::write(dir.join("quick/keep.txt"), "another report").unwrap();
        assert!(report(record, &dir).wait().unwrap().success());
        files(&dir)
    };
    let started = std::time::Instant::now();
    let whole_a = whole(&a, "a");
    // How long a whole run takes here: the kills below are spread over it, most of them late,
    // where the report is being moved into place.
    let full = started.elapsed();
    let whole_b = whole(&b, "b");
    assert_ne!(whole_a["README.md"], whole_b["README.md"]);
    assert_ne!(whole_a["summary.json"], whole_b["summary.json"]);
    assert_eq!(
        whole_a.keys().collect::<Vec<_>>(),
        whole_b.keys().collect::<Vec<_>>()
    );

    let out = tmp.join("a");
    let mut killed_midway = 0;
    for i in 0..24u32 {
        let next = if i % 2 == 0 { &b } else { &a };
        let before = files(&out);
        let delay = full.mul_f64(0.3 + 0.9 * f64::from(i) / 23.0);
        let delay_ms = delay.as_millis();
        let mut child = report(next, &out);
        std::thread::sleep(delay);
        let _ = child.kill();
        let finished = child.wait().unwrap().success();
        let now = files(&out);
        let of = |w: &BTreeMap<String, Vec<u8>>| {
            now.iter().filter(|(k, v)| w.get(*k) == Some(v)).count()
        };
        assert!(
            now == whole_a || now == whole_b,
            "killed after {delay_ms} ms: a mix of two reports ({} of {} files as in one, {} as in \
             the other)",
            of(&whole_a),
            now.len(),
            of(&whole_b)
        );
        if !finished && now == before {
            killed_midway += 1;
        }
    }
    assert!(
        killed_midway > 0,
        "no run was killed before it finished: the test saw nothing"
    );
    // The next whole run removes what a killed one left beside the directory.
    assert!(report(&a, &out).wait().unwrap().success());
    assert!(files(&out) == whole_a);
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("staging"))
        .collect();
    assert_eq!(left, Vec::<String>::new(), "staging left behind");
    std::fs::remove_dir_all(&tmp).unwrap();
}
