//! `fanout peers`: the Python patterns (`peers/python/`) measured on the same server, workloads
//! and method as the Rust strategies, each cell in rounds of processes of its own, every batch
//! verified response by response and counted at the server. The Python side runs in a virtual
//! environment under `target/` with the pinned requirements, set up here on first use.
//!
//! The peers' record is `target/fanout/peers.json`. Its cells then join the last `cargo bench`
//! record of the same profile (`target/fanout/metrics.json`, replacing the cells of the same ids),
//! so one report holds both; without such a record the report holds the peers alone.

use super::args::BenchArgs;
use super::record::{self, Mode, RunRecord};
use super::{orchestrate, output, Selection};
use crate::strategy::python::PYTHON_ENV;
use anyhow::{bail, Context as _};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the peers' record goes.
pub fn record_path() -> PathBuf {
    record::default_path().with_file_name("peers.json")
}

fn requirements() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/python/requirements.txt")
}

/// The last lines of a command's output, for an error message.
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(6)..].join("\n")
}

/// The virtual environment's interpreter, set up from the pinned requirements if it is missing
/// or was made from other ones. Fails, saying what is missing, without Python 3 or without
/// access to the package index.
pub fn python() -> anyhow::Result<PathBuf> {
    let dir = crate::fsio::target_dir().join("fanout").join("peers-venv");
    let python = dir.join("bin").join("python");
    let stamp = dir.join("requirements.installed");
    let wanted = std::fs::read_to_string(requirements())
        .with_context(|| format!("cannot read {}", requirements().display()))?;
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&*wanted) {
        return Ok(python);
    }
    let version = Command::new("python3").arg("--version").output();
    match version {
        Ok(out) if out.status.success() => eprintln!(
            "fanout peers: setting up {} with {} ...",
            dir.display(),
            String::from_utf8_lossy(&out.stdout).trim()
        ),
        _ => bail!(
            "the Python peers need Python 3: `python3 --version` did not run (install Python 3.9 \
             or later and put python3 on PATH); `cargo bench` does not need it"
        ),
    }
    let venv = Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(&dir)
        .output()
        .context("cannot run python3 -m venv")?;
    if !venv.status.success() {
        bail!(
            "`python3 -m venv {}` failed (on Debian and Ubuntu the venv module is the package \
             python3-venv):\n{}",
            dir.display(),
            tail(&venv.stderr)
        );
    }
    let pip = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
            "-r",
        ])
        .arg(requirements())
        .output()
        .context("cannot run pip")?;
    if !pip.status.success() {
        bail!(
            "cannot install the peers' packages ({}) from the package index; is it \
             reachable?\n{}",
            requirements().display(),
            tail(&[pip.stdout, pip.stderr].concat())
        );
    }
    crate::fsio::write_atomic(&stamp, wanted.as_bytes())?;
    Ok(python)
}

/// Measures the peers matching `strategies` on the workloads matching `workloads` of
/// `profile`, then writes the report of the joined record. Ok(false): a cell failed.
pub fn run(profile: &str, workloads: &str, strategies: &str) -> anyhow::Result<bool> {
    let file = crate::profile::load(profile)?;
    let chosen = crate::profile::select(&file, workloads)?;
    let entries = crate::strategy::select_peers(strategies)?;
    let python = python()?;
    // The cell processes inherit it.
    std::env::set_var(PYTHON_ENV, &python);
    let cells = chosen
        .iter()
        .flat_map(|w| entries.iter().map(move |e| ((*w).clone(), e.clone())))
        .collect();
    let selection = Selection {
        profile: profile.to_owned(),
        file,
        cells,
        record: record_path(),
    };
    let args = BenchArgs::parse(["fanout".to_owned(), "--bench".to_owned()])
        .map_err(anyhow::Error::msg)?;
    let ok = orchestrate::run(&args, &selection)?;
    let mut theirs = crate::report::read_record(&selection.record)?;
    if let Some(c) = &mut theirs.context {
        c.crates.extend(versions(&python));
    }
    theirs.save(&selection.record)?;
    let joined = join(theirs, &selection.record, &record::default_path())?;
    output::finish(&args, &joined)?;
    Ok(ok)
}

/// Puts the peers' cells into the bench record of the same profile, replacing the cells of the
/// same ids it had (peers measured earlier on other workloads stay); returns the record the
/// report is made from.
fn join(theirs: RunRecord, peers: &Path, bench: &Path) -> anyhow::Result<PathBuf> {
    let ours = match crate::report::read_record(bench) {
        Ok(r) if r.profile == theirs.profile && r.mode == Mode::Measure => r,
        _ => {
            eprintln!(
                "fanout peers: no `cargo bench` record of profile {} at {}; the report holds the \
                 peers alone",
                theirs.profile,
                bench.display()
            );
            return Ok(peers.to_owned());
        }
    };
    let joined = joined(ours, theirs);
    joined.save(bench)?;
    eprintln!(
        "fanout peers: the Python cells joined the bench record {}",
        bench.display()
    );
    Ok(bench.to_owned())
}

fn joined(mut ours: RunRecord, theirs: RunRecord) -> RunRecord {
    let new: std::collections::HashSet<String> = theirs.cells.iter().map(|c| c.id()).collect();
    ours.cells.retain(|c| !new.contains(&c.id()));
    ours.cells.extend(theirs.cells);
    if let (Some(o), Some(t)) = (&mut ours.context, theirs.context) {
        for k in PACKAGES.iter().chain(&["cpython"]) {
            if let Some(v) = t.crates.get(*k) {
                o.crates.insert((*k).to_owned(), v.clone());
            }
        }
    }
    ours
}

/// The Python packages whose versions the report names.
const PACKAGES: [&str; 3] = ["aiohttp", "requests", "asgiref"];

/// CPython's version and the peers' packages', as the environment has them.
fn versions(python: &Path) -> Vec<(String, String)> {
    let script = format!(
        "import platform, importlib.metadata as m\nprint(platform.python_version())\n{}",
        PACKAGES
            .iter()
            .map(|p| format!("print(m.version({p:?}))\n"))
            .collect::<String>()
    );
    let out = Command::new(python).args(["-c", &script]).output();
    let text = out
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    ["cpython"]
        .iter()
        .chain(&PACKAGES)
        .zip(text.lines())
        .map(|(k, v)| ((*k).to_owned(), v.trim().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peers_replace_the_python_cells_of_the_bench_record() {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run/metrics.json");
        let ours = crate::report::read_record(&fixture).unwrap();
        let mut theirs = ours.clone();
        for c in &mut theirs.cells {
            c.strategy = format!("python/{}", c.strategy.replace('/', "-"));
            c.family = crate::strategy::Family::Python;
        }
        let once = joined(ours.clone(), theirs.clone());
        assert_eq!(once.cells.len(), 2 * ours.cells.len());
        // Measuring the peers again replaces them; the Rust cells stay as they were.
        let twice = joined(once.clone(), theirs.clone());
        assert_eq!(twice.cells.len(), 2 * ours.cells.len());
        assert_eq!(twice.cells[..ours.cells.len()], ours.cells[..]);
        // Peers measured on one workload only leave those of the others in place.
        let one: Vec<_> = theirs.cells[..1].to_vec();
        let mut partial = theirs;
        partial.cells = one;
        let thrice = joined(once, partial);
        assert_eq!(thrice.cells.len(), 2 * ours.cells.len());
    }
}
