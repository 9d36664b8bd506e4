//! Loading a profile file: its TOML read, every workload validated, names unique.

use super::Workload;
use crate::bench::sampling::Sampling;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A workload file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error("cannot read workload file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("{path}: workload {workload:?}: {field} {problem}")]
    Invalid {
        path: PathBuf,
        workload: String,
        field: &'static str,
        problem: String,
    },
}

/// A profile file: its settings and its workloads, in file order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    #[serde(default)]
    pub profile: ProfileSettings,
    /// How the benches sample this profile's cells (the `[sampling]` table).
    #[serde(default)]
    pub sampling: Sampling,
    pub workload: Vec<Workload>,
}

/// Settings of a profile as a whole.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSettings {
    #[serde(default)]
    pub description: String,
}

impl ProfileFile {
    /// Reads and validates a profile file.
    pub fn load(path: &Path) -> Result<ProfileFile, WorkloadError> {
        let text = std::fs::read_to_string(path).map_err(|source| WorkloadError::Read {
            path: path.to_owned(),
            source,
        })?;
        ProfileFile::parse(&text, path)
    }

    /// Parses and validates the text of a profile file; `path` is only used in errors.
    pub fn parse(text: &str, path: &Path) -> Result<ProfileFile, WorkloadError> {
        let file: ProfileFile = toml::from_str(text).map_err(|e| WorkloadError::Parse {
            path: path.to_owned(),
            source: Box::new(e),
        })?;
        file.sampling
            .validate()
            .map_err(|(field, problem)| WorkloadError::Invalid {
                path: path.to_owned(),
                workload: "(sampling)".into(),
                field,
                problem,
            })?;
        let mut seen = std::collections::HashSet::new();
        for w in &file.workload {
            w.validate()
                .map_err(|(field, problem)| WorkloadError::Invalid {
                    path: path.to_owned(),
                    workload: w.name.clone(),
                    field,
                    problem,
                })?;
            if !seen.insert(w.name.as_str()) {
                return Err(WorkloadError::Invalid {
                    path: path.to_owned(),
                    workload: w.name.clone(),
                    field: "name",
                    problem: "is used by two workloads; names must be unique".into(),
                });
            }
        }
        Ok(file)
    }
}
