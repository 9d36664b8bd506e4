//! `fanout peers` without what it needs says so and exits 2, before anything runs; with a bad
//! selector it names it. (The peers themselves run in CI, `.ci/run`, which reaches the package
//! index; tests stay offline.)

use std::process::Command;

fn peers(args: &[&str], path: &str, target: &std::path::Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fanout"))
        .arg("peers")
        .args(args)
        .env("PATH", path)
        // A target directory of its own: no virtual environment made by an earlier run.
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn without_python_3_the_peers_say_so_and_exit_2() {
    let dir = std::env::temp_dir().join(format!("fanout-peers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (code, err) = peers(&["-p", "quick"], dir.to_str().unwrap(), &dir);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("need Python 3") && err.contains("`cargo bench` does not need it"),
        "{err}"
    );
    assert!(
        !dir.join("fanout").join("peers.json").exists(),
        "nothing ran"
    );

    let (code, err) = peers(&["-p", "quick", "-s", "python/nope"], "/usr/bin:/bin", &dir);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("\"python/nope\"") && err.contains("python/aiohttp-gather"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
