//! The published report: `summary.json`, `timelines.json` (one probe batch of every ok cell,
//! request by request), `README.md`, SVG charts and a self-contained `index.html`, built from
//! the bench record alone. Everything is rendered
//! into a temporary directory first and moved into place only when all of it succeeded, so a
//! failed or interrupted generation leaves the previous report untouched.

pub mod charts;
pub mod context;
mod figures;
mod findings;
pub mod floors;
pub mod history;
pub mod html;
pub mod markdown;
pub mod summary;
mod text;

use crate::bench::record::{self, RunRecord};
use crate::fsio::{self, FsError};
use charts::ChartError;
pub(crate) use figures::{contrast_workload, sweeps, CONTRAST};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use summary::Summary;

/// Where the report's inputs are.
#[derive(Clone, Debug)]
pub struct Inputs {
    /// The bench record (`target/fanout/metrics.json`).
    pub record: PathBuf,
    /// The workspace, for Cargo.lock and the git commit.
    pub workspace: PathBuf,
    /// How far a second run moved these numbers (`fanout report --rerun`).
    pub rerun: Option<summary::Rerun>,
}

impl Default for Inputs {
    fn default() -> Self {
        Inputs {
            record: record::default_path(),
            workspace: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            rerun: None,
        }
    }
}

/// The report could not be generated; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error("{path}: {why}")]
    NotPublishable { path: PathBuf, why: &'static str },
    #[error("{path}: not {what} ({reason})")]
    Invalid {
        path: PathBuf,
        what: &'static str,
        reason: String,
    },
    #[error(
        "{path}: schema_version {found}, but this version reads {expected}; re-run `cargo bench`"
    )]
    Schema {
        path: PathBuf,
        found: u64,
        expected: u32,
    },
    #[error(transparent)]
    Chart(#[from] ChartError),
}

/// Reads and checks the bench record.
pub fn read_record(path: &Path) -> Result<RunRecord, ReportError> {
    read_versioned(
        path,
        record::SCHEMA_VERSION,
        record::SCHEMA_VERSION,
        "a bench record; run `cargo bench` to make one",
    )
}

/// Reads and checks a `summary.json`. Version 3 is read too: version 4 only added fields (the
/// probe batches' figures), which such a file lacks.
pub fn read_summary(path: &Path) -> Result<Summary, ReportError> {
    read_versioned(path, 3, summary::SCHEMA_VERSION, "a fanout summary.json")
}

fn read_versioned<T: serde::de::DeserializeOwned>(
    path: &Path,
    oldest: u32,
    expected: u32,
    what: &'static str,
) -> Result<T, ReportError> {
    let text = fsio::read(path)?;
    let bad = |reason: String| ReportError::Invalid {
        path: path.to_owned(),
        what,
        reason,
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    let found = value
        .get("schema_version")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| bad("no schema_version".into()))?;
    if !(u64::from(oldest)..=u64::from(expected)).contains(&found) {
        return Err(ReportError::Schema {
            path: path.to_owned(),
            found,
            expected,
        });
    }
    serde_json::from_value(value).map_err(|e| bad(e.to_string()))
}

/// Builds the summary from the inputs.
pub fn summarize(inputs: &Inputs, now_unix: u64) -> Result<Summary, ReportError> {
    let record = read_record(&inputs.record)?;
    let context = record
        .context
        .clone()
        .unwrap_or_else(|| context::Context::of_this_machine(&inputs.workspace));
    let mut summary =
        Summary::build(&record, context, now_unix).map_err(|why| ReportError::NotPublishable {
            path: inputs.record.clone(),
            why,
        })?;
    summary.rerun = inputs.rerun.clone();
    Ok(summary)
}

/// Renders every file of the report, by path relative to the output directory; `runs` is the
/// history of recorded runs to draw trends from.
pub fn render(
    s: &Summary,
    runs: &[history::Run],
) -> Result<BTreeMap<String, Vec<u8>>, ReportError> {
    let mut files = figures::all(s, runs)?;
    let chart_names: Vec<String> = files.keys().cloned().collect();
    let md = markdown::render(s, &chart_names);
    let html = html::render(&md, |p| {
        files
            .get(p)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    });
    files.insert("README.md".into(), md.into_bytes());
    files.insert("index.html".into(), html.into_bytes());
    let json = serde_json::to_vec_pretty(s).expect("the summary serializes");
    files.insert("summary.json".into(), json);
    let timelines = serde_json::to_vec(&s.timelines).expect("the timelines serialize");
    files.insert("timelines.json".into(), timelines);
    Ok(files)
}

/// Generates the report into `out`: renders everything in memory, writes it to a temporary
/// directory beside `out`, then moves each file into place and removes stale charts. With
/// `record`, this run is appended to `out/history.jsonl` (in the same all-or-nothing step).
pub fn generate(
    inputs: &Inputs,
    out: &Path,
    now_unix: u64,
    record: bool,
) -> Result<Summary, ReportError> {
    let summary = summarize(inputs, now_unix)?;
    let history_path = out.join("history.jsonl");
    let mut runs = history::read(&history_path)?;
    if record {
        let run = history::Run::of(&summary);
        let text = history::appended(&runs, &run);
        runs.push(run);
        let mut files = render(&summary, &runs)?;
        files.insert("history.jsonl".into(), text.into_bytes());
        return install(out, files).map(|()| summary);
    }
    let files = render(&summary, &runs)?;
    install(out, files).map(|()| summary)
}

fn install(out: &Path, files: BTreeMap<String, Vec<u8>>) -> Result<(), ReportError> {
    // The report's own charts are all rewritten: a chart of a cell no longer in it goes.
    Ok(fsio::install_dir(out, &files, &["charts"])?)
}
