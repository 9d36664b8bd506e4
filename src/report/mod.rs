//! The published report: `summary.json`, `timelines.json` (one probe batch of every ok cell,
//! request by request), `README.md`, SVG charts and a self-contained `index.html`, built from
//! the bench record alone. Everything is rendered
//! into a temporary directory first and moved into place only when all of it succeeded, so a
//! failed or interrupted generation leaves the previous report untouched.

pub mod charts;
pub mod context;
mod findings;
pub mod floors;
pub mod history;
pub mod html;
pub mod markdown;
pub mod summary;
mod text;

use crate::bench::record::{self, RunRecord};
use crate::fsio::{self, FsError};
use charts::{Bar, BarChart, ChartError, HeatCell, Series, Strip};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use summary::{Cell, Summary};

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

fn time_chart(s: &Summary, w: &str) -> Result<String, ChartError> {
    let cells = s.ranked(w);
    let floor = cells.iter().map(|c| c.floor_ns).min().unwrap_or(0) as f64 / 1e6;
    charts::bars(&BarChart {
        title: format!("{w}: median wall time per batch (whiskers: 95% CI)"),
        x_label: "milliseconds per batch".into(),
        bars: cells
            .iter()
            .map(|c| Bar {
                label: c.strategy.clone(),
                family: c.family.clone(),
                value: c.median_ns.map(|v| v / 1e6),
                whisker: c
                    .ci_lower_ns
                    .zip(c.ci_upper_ns)
                    .map(|(l, u)| (l / 1e6, u / 1e6)),
                note: match c.median_ns {
                    Some(m) => text::ms(m),
                    None => c.status.clone(),
                },
            })
            .collect(),
        reference: Some((floor.max(1e-3), format!("achievable floor: {floor:.2} ms"))),
    })
}

fn metric_chart(
    s: &Summary,
    w: &str,
    title: &str,
    x_label: &str,
    value: impl Fn(&Cell) -> Option<f64>,
) -> Result<String, ChartError> {
    charts::bars(&BarChart {
        title: format!("{w}: {title}"),
        x_label: x_label.into(),
        bars: s
            .ranked(w)
            .iter()
            .map(|c| {
                let v = value(c);
                Bar {
                    label: c.strategy.clone(),
                    family: c.family.clone(),
                    value: v.filter(|v| *v > 0.0),
                    whisker: None,
                    note: v.map_or(c.status.clone(), charts::fmt_value),
                }
            })
            .collect(),
        reference: None,
    })
}

/// The strips of a timeline: `cells`, each with its median probe batch or its status.
fn strips<'a>(s: &Summary, cells: impl Iterator<Item = &'a Cell>) -> Vec<Strip> {
    cells
        .map(|c| {
            let t = s.timelines.get(&c.id());
            Strip {
                label: c.strategy.clone(),
                family: c.family.clone(),
                spans_us: t.map_or(Vec::new(), |t| t.spans_us.clone()),
                wall_us: t.map_or(0, |t| t.wall_us),
                note: match t {
                    Some(_) => None,
                    None if c.status == "ok" => Some("no probe batch in this record".into()),
                    None => Some(c.status.clone()),
                },
            }
        })
        .collect()
}

fn timeline_chart(s: &Summary, w: &str) -> Result<String, ChartError> {
    let cells = s.ranked(w);
    let n = cells.first().map_or(0, |c| c.requests);
    Ok(charts::timeline(
        &format!("{w}: every request of one batch ({n} per strip), fastest strategy first"),
        &strips(s, cells.into_iter()),
    ))
}

/// The two strategies whose timelines the report sets side by side: the mistake and the fix.
pub const CONTRAST: [&str; 2] = [
    "antipattern/blocking-in-async",
    "gather/tokio-current-thread",
];

/// The workload the contrast is drawn for: the first with both cells measured and probed.
pub(crate) fn contrast_workload(s: &Summary) -> Option<&str> {
    s.workloads().into_iter().find(|w| {
        CONTRAST
            .iter()
            .all(|st| s.timelines.contains_key(&format!("{w}/{st}")))
    })
}

fn latency_chart(s: &Summary, w: &str) -> Result<String, ChartError> {
    charts::bars(&BarChart {
        title: format!("{w}: request latency in ms, p50 (bar) to p99 (whisker), and max"),
        x_label: "milliseconds per request".into(),
        bars: s
            .ranked(w)
            .iter()
            .map(|c| {
                let l = c.request_latency;
                Bar {
                    label: c.strategy.clone(),
                    family: c.family.clone(),
                    value: l.map(|l| l.p50_ns as f64 / 1e6).filter(|v| *v > 0.0),
                    whisker: l.map(|l| (l.p50_ns as f64 / 1e6, l.p99_ns as f64 / 1e6)),
                    note: match l {
                        Some(l) => format!(
                            "{:.1} / {:.1} / max {:.1}",
                            l.p50_ns as f64 / 1e6,
                            l.p99_ns as f64 / 1e6,
                            l.max_ns as f64 / 1e6
                        ),
                        None => c.status.clone(),
                    },
                }
            })
            .collect(),
        reference: None,
    })
}

/// Workloads that differ only in N (`n10-lat10ms`, `n100-lat10ms`, ...), by their shared suffix.
pub(crate) fn sweeps(s: &Summary) -> BTreeMap<String, Vec<String>> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for w in s.workloads() {
        if let Some(rest) = w.strip_prefix('n') {
            let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
            if digits > 0 {
                groups
                    .entry(rest[digits..].to_owned())
                    .or_default()
                    .push(w.to_owned());
            }
        }
    }
    groups.retain(|_, ws| ws.len() >= 3);
    groups
}

/// One trend chart per workload over the recorded runs (oldest first), once there are two.
fn trends(
    s: &Summary,
    runs: &[history::Run],
    files: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), ChartError> {
    if runs.len() < 2 {
        return Ok(());
    }
    for w in s.workloads() {
        let mut series = Vec::new();
        for c in s.cells.iter().filter(|c| c.workload == w) {
            let id = c.id();
            let points: Vec<(f64, f64)> = runs
                .iter()
                .enumerate()
                .filter_map(|(i, r)| Some(((i + 1) as f64, r.cells.get(&id)?.median_ns / 1e9)))
                .collect();
            if points.len() >= 2 {
                series.push(Series {
                    label: c.strategy.clone(),
                    family: c.family.clone(),
                    points,
                });
            }
        }
        if !series.is_empty() {
            let title = format!("{w}: median wall time over {} recorded runs", runs.len());
            let chart = charts::scaling(&title, "recorded run (oldest first)", false, &series)?;
            files.insert(markdown::chart_name("trend", w), chart.into_bytes());
        }
    }
    Ok(())
}

/// Renders every file of the report, by path relative to the output directory; `runs` is the
/// history of recorded runs to draw trends from.
pub fn render(
    s: &Summary,
    runs: &[history::Run],
) -> Result<BTreeMap<String, Vec<u8>>, ReportError> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    trends(s, runs, &mut files)?;
    for w in s.workloads() {
        files.insert(
            markdown::chart_name("timeline", w),
            timeline_chart(s, w)?.into_bytes(),
        );
        files.insert(
            markdown::chart_name("latency", w),
            latency_chart(s, w)?.into_bytes(),
        );
        files.insert(
            markdown::chart_name("time", w),
            time_chart(s, w)?.into_bytes(),
        );
        files.insert(
            markdown::chart_name("cpu", w),
            metric_chart(
                s,
                w,
                "client CPU per request (user + system)",
                "microseconds per request",
                |c| c.cpu_per_request_ns.map(|n| n as f64 / 1000.0),
            )?
            .into_bytes(),
        );
        files.insert(
            markdown::chart_name("connections", w),
            metric_chart(
                s,
                w,
                "connections opened by a cold batch",
                "connections",
                |c| c.connections_cold.map(|n| n as f64),
            )?
            .into_bytes(),
        );
    }
    let mut strategies: Vec<String> = Vec::new();
    for c in &s.cells {
        if !strategies.contains(&c.strategy) {
            strategies.push(c.strategy.clone());
        }
    }
    let workloads: Vec<String> = s.workloads().into_iter().map(str::to_owned).collect();
    let grid: Vec<Vec<HeatCell>> = strategies
        .iter()
        .map(|st| {
            workloads
                .iter()
                .map(|w| match s.cell(w, st) {
                    Some(c) => HeatCell {
                        efficiency: c.ratio_to_floor.map(|r| 1.0 / r),
                        note: match c.status.as_str() {
                            "skipped" => "skip",
                            "failed" => "FAIL",
                            "missing" => "n/a",
                            _ => "no floor",
                        },
                    },
                    None => HeatCell {
                        efficiency: None,
                        note: "",
                    },
                })
                .collect()
        })
        .collect();
    files.insert(
        "charts/efficiency.svg".into(),
        charts::heatmap(&strategies, &workloads, &grid)?.into_bytes(),
    );
    for (suffix, ws) in sweeps(s) {
        let series: Vec<Series> = strategies
            .iter()
            .filter_map(|st| {
                let points: Vec<(f64, f64)> = ws
                    .iter()
                    .filter_map(|w| s.cell(w, st))
                    .filter_map(|c| Some((c.requests as f64, c.median_ns? / 1e9)))
                    .collect();
                let family = s.cells.iter().find(|c| &c.strategy == st)?.family.clone();
                (points.len() >= 2).then(|| Series {
                    label: st.clone(),
                    family,
                    points,
                })
            })
            .collect();
        if !series.is_empty() {
            let title = format!("Wall time against N (workloads n*{suffix})");
            files.insert(
                format!("charts/scaling{suffix}.svg"),
                charts::scaling(&title, "N, requests per batch (log scale)", true, &series)?
                    .into_bytes(),
            );
        }
    }
    if let Some(w) = contrast_workload(s) {
        let cells = CONTRAST.iter().filter_map(|st| s.cell(w, st));
        let title = format!("{w}: blocking calls inside async tasks, and a gather, on one thread");
        files.insert(
            "charts/timeline-contrast.svg".into(),
            charts::timeline(&title, &strips(s, cells)).into_bytes(),
        );
    }
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
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = out
        .file_name()
        .map_or("report".into(), |n| n.to_string_lossy().into_owned());
    let prefix = format!(".{name}.staging-");
    // Staging left by a run that was killed: never moved into place, safe to remove.
    if let Ok(entries) = std::fs::read_dir(parent) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let staging = parent.join(format!("{prefix}{}", std::process::id()));
    let staged = (|| {
        for (rel, bytes) in &files {
            fsio::write_atomic(&staging.join(rel), bytes)?;
        }
        Ok::<_, FsError>(())
    })();
    if let Err(e) = staged {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e.into());
    }
    let moved = (|| {
        for rel in files.keys() {
            let to = out.join(rel);
            if let Some(dir) = to.parent() {
                std::fs::create_dir_all(dir).map_err(|source| FsError {
                    action: "cannot create directory",
                    path: dir.to_owned(),
                    source,
                })?;
            }
            std::fs::rename(staging.join(rel), &to).map_err(|source| FsError {
                action: "cannot move into place",
                path: to.clone(),
                source,
            })?;
        }
        Ok::<_, FsError>(())
    })();
    let _ = std::fs::remove_dir_all(&staging);
    moved?;
    if let Ok(entries) = std::fs::read_dir(out.join("charts")) {
        for e in entries.flatten() {
            let rel = format!("charts/{}", e.file_name().to_string_lossy());
            if !files.contains_key(&rel) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    Ok(())
}
