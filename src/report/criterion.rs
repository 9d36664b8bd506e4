//! Reads criterion's results as criterion writes them: every
//! `target/criterion/**/new/benchmark.json` names its benchmark (`full_id`), and the
//! `estimates.json` beside it holds the median with its confidence interval, in nanoseconds per
//! iteration (here: per batch).

use crate::fsio::{self, FsError};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One benchmark's median wall time per batch and its confidence interval, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub median_ns: f64,
    pub lower_ns: f64,
    pub upper_ns: f64,
}

/// Criterion's output could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CriterionError {
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error("{path}: not criterion's format ({source}); was it written by another criterion version, or cut short?")]
    Format {
        path: PathBuf,
        source: serde_json::Error,
    },
}

#[derive(Deserialize)]
struct Benchmark {
    full_id: String,
}

#[derive(Deserialize)]
struct Interval {
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Deserialize)]
struct Stat {
    point_estimate: f64,
    confidence_interval: Interval,
}

#[derive(Deserialize)]
struct Estimates {
    median: Stat,
}

fn parse<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CriterionError> {
    let text = fsio::read(path)?;
    serde_json::from_str(&text).map_err(|source| CriterionError::Format {
        path: path.to_owned(),
        source,
    })
}

fn walk(dir: &Path, which: &str, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == which) {
                let b = p.join("benchmark.json");
                if b.is_file() {
                    found.push(b);
                }
            } else {
                walk(&p, which, found);
            }
        }
    }
}

/// Every benchmark's estimate under `dir` (criterion's output directory), by full id, from the
/// latest run (`which = "new"`) or a saved baseline (`which` = its name). A missing directory
/// yields nothing; a present but unreadable file is an error naming it.
pub fn read_all(dir: &Path, which: &str) -> Result<BTreeMap<String, Estimate>, CriterionError> {
    let mut files = Vec::new();
    walk(dir, which, &mut files);
    files.sort();
    let mut out = BTreeMap::new();
    for b in files {
        let bench: Benchmark = parse(&b)?;
        let e: Estimates = parse(&b.with_file_name("estimates.json"))?;
        out.insert(
            bench.full_id,
            Estimate {
                median_ns: e.median.point_estimate,
                lower_ns: e.median.confidence_interval.lower_bound,
                upper_ns: e.median.confidence_interval.upper_bound,
            },
        );
    }
    Ok(out)
}
