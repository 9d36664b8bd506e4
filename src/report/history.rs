//! `results/history.jsonl`: one line per recorded run (commit, date, machine, profile, and each
//! cell's median and ratio to the floor), appended by `fanout report --record`; the report draws
//! a trend chart per workload from it once it holds several runs.

use super::summary::Summary;
use crate::fsio::{self, FsError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub commit: String,
    pub generated_unix: u64,
    pub machine: String,
    pub profile: String,
    pub cells: BTreeMap<String, Point>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub median_ns: f64,
    pub ratio_to_floor: Option<f64>,
}

impl Run {
    pub fn of(s: &Summary) -> Run {
        Run {
            commit: s.context.git_commit.clone(),
            generated_unix: s.generated_unix,
            machine: format!("{} x{}", s.context.cpu_model, s.context.cores),
            profile: s.profile.clone(),
            cells: s
                .cells
                .iter()
                .filter_map(|c| {
                    Some((
                        c.id(),
                        Point {
                            median_ns: c.median_ns?,
                            ratio_to_floor: c.ratio_to_floor,
                        },
                    ))
                })
                .collect(),
        }
    }
}

/// The runs in a history file (none if it does not exist); a bad line is an error naming it.
pub fn read(path: &Path) -> Result<Vec<Run>, FsError> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = fsio::read(path)?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| FsError {
                action: "cannot parse a line of",
                path: path.to_owned(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("line {}: {e}", i + 1),
                ),
            })
        })
        .collect()
}

/// The history text with `run` appended.
pub fn appended(existing: &[Run], run: &Run) -> String {
    let mut out = String::new();
    for r in existing.iter().chain(std::iter::once(run)) {
        out.push_str(&serde_json::to_string(r).expect("a run serializes"));
        out.push('\n');
    }
    out
}
