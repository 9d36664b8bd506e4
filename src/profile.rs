//! Profiles: named workload files under `workloads/` (`quick`, `standard`, `full`), chosen
//! with `FANOUT_PROFILE` or `--profile`, or any file given by path.

use crate::workload::{ProfileFile, Workload, WorkloadError};
use std::path::{Path, PathBuf};

/// The profile used when none is named.
pub const DEFAULT: &str = "standard";

/// The directory holding the profile files of this repository.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads")
}

/// The names of the profiles in [`dir`], sorted.
pub fn names() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir())
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            (p.extension()? == "toml").then(|| p.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    v.sort();
    v
}

/// A profile that cannot be found.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("no profile named {name:?}; the profiles are: {}", known.join(", "))]
    Unknown { name: String, known: Vec<String> },
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    #[error("no workload matches {selector:?}; the workloads of this profile are: {}", known.join(", "))]
    NoWorkload {
        selector: String,
        known: Vec<String>,
    },
}

/// Loads a profile by name (`quick`) or by path (`my/workloads.toml`).
pub fn load(name_or_path: &str) -> Result<ProfileFile, ProfileError> {
    let as_path = Path::new(name_or_path);
    if name_or_path.ends_with(".toml") || as_path.components().count() > 1 {
        return Ok(ProfileFile::load(as_path)?);
    }
    let path = dir().join(format!("{name_or_path}.toml"));
    if !path.exists() {
        return Err(ProfileError::Unknown {
            name: name_or_path.to_owned(),
            known: names(),
        });
    }
    Ok(ProfileFile::load(&path)?)
}

/// The profile named by `FANOUT_PROFILE`, or `default`.
pub fn from_env(default: &str) -> Result<(String, ProfileFile), ProfileError> {
    let name = std::env::var("FANOUT_PROFILE")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| default.to_owned());
    let file = load(&name)?;
    Ok((name, file))
}

/// The workloads whose names match any comma-separated selector (a name or a glob).
pub fn select<'a>(
    file: &'a ProfileFile,
    selectors: &str,
) -> Result<Vec<&'a Workload>, ProfileError> {
    crate::select::select(&file.workload, |w| &w.name, selectors).map_err(|u| {
        ProfileError::NoWorkload {
            selector: u.selector,
            known: u.known,
        }
    })
}
