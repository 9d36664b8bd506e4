//! The machine and versions a run was made on, for the record kept with its results.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Where and with what a run was made.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    pub cpu_model: String,
    pub cores: usize,
    pub kernel: String,
    pub rustc: String,
    /// `git describe --always --dirty`: the commit, marked `-dirty` if the tree had changes.
    pub git_commit: String,
    /// Versions of the compared crates, from Cargo.lock.
    pub crates: BTreeMap<String, String>,
}

/// The crates whose versions the report names.
pub const COMPARED: &[&str] = &[
    "tokio",
    "hyper",
    "hyper-util",
    "reqwest",
    "ureq",
    "async-std",
    "smol",
    "smol-hyper",
    "blocking",
    "rayon",
    "futures",
];

fn output(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

/// Versions of `names` in a Cargo.lock text (the first version listed for each).
pub fn lock_versions(lock: &str, names: &[&str]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_owned());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take()) {
            if names.contains(&n.as_str()) {
                out.entry(n)
                    .or_insert_with(|| v.trim_matches('"').to_owned());
            }
        }
    }
    out
}

impl Context {
    /// Reads this machine's facts and the workspace's Cargo.lock.
    pub fn of_this_machine(workspace: &Path) -> Context {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| format!("Linux {}", s.trim()))
            .unwrap_or_else(|_| "unknown".into());
        let lock = std::fs::read_to_string(workspace.join("Cargo.lock")).unwrap_or_default();
        Context {
            cpu_model,
            cores: crate::strategy::cores(),
            kernel,
            rustc: output("rustc", &["--version"]),
            git_commit: output(
                "git",
                &[
                    "-C",
                    &workspace.display().to_string(),
                    "describe",
                    "--always",
                    "--dirty",
                    "--abbrev=12",
                ],
            ),
            crates: lock_versions(&lock, COMPARED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_come_from_the_lock_file() {
        let lock = "[[package]]\nname = \"tokio\"\nversion = \"1.2.3\"\n\n[[package]]\nname = \"other\"\nversion = \"9\"\n";
        let v = lock_versions(lock, &["tokio", "ureq"]);
        assert_eq!(v.get("tokio").map(String::as_str), Some("1.2.3"));
        assert_eq!(v.len(), 1);
    }
}
