//! The machine and versions a run was made on, for the record kept with its results.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Where and with what a run was made.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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

/// Versions of `names` in a Cargo.lock text (the first version listed for each); none when the
/// text is not a lock file.
pub fn lock_versions(lock: &str, names: &[&str]) -> BTreeMap<String, String> {
    #[derive(Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<Package>,
    }
    #[derive(Deserialize)]
    struct Package {
        name: String,
        version: String,
    }
    let mut out = BTreeMap::new();
    for p in toml::from_str::<Lock>(lock).map_or_else(|_| Vec::new(), |l| l.package) {
        if names.contains(&p.name.as_str()) {
            out.entry(p.name).or_insert(p.version);
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
        // The real one: every compared crate is in it.
        let real = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"));
        let v = lock_versions(&real.unwrap(), COMPARED);
        assert_eq!(v.len(), COMPARED.len(), "{v:?}");
        assert!(lock_versions("not = [toml", COMPARED).is_empty());
    }
}
