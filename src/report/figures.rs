//! The report's charts, drawn from a summary: per workload a timeline, latency, time, CPU and
//! connections chart; the efficiency heat map; the scaling sweeps; the blocking-in-async
//! contrast; trends over recorded runs.

use super::charts::{self, Bar, BarChart, ChartError, HeatCell, Series, Strip};
use super::summary::{Cell, CellStatus, Summary};
use super::{history, markdown, text};
use std::collections::BTreeMap;

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
                family: c.family,
                value: c.median_ns.map(|v| v / 1e6),
                whisker: c
                    .ci_lower_ns
                    .zip(c.ci_upper_ns)
                    .map(|(l, u)| (l / 1e6, u / 1e6)),
                note: match c.median_ns {
                    Some(m) => text::ms(m),
                    None => c.status.to_string(),
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
                    family: c.family,
                    value: v.filter(|v| *v > 0.0),
                    whisker: None,
                    note: v.map_or(c.status.to_string(), charts::fmt_value),
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
                family: c.family,
                spans_us: t.map_or(Vec::new(), |t| t.spans_us.clone()),
                wall_us: t.map_or(0, |t| t.wall_us),
                note: match t {
                    Some(_) => None,
                    None if c.status == CellStatus::Ok => {
                        Some("no probe batch in this record".into())
                    }
                    None => Some(c.status.to_string()),
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
                    family: c.family,
                    value: l.map(|l| l.p50_ns as f64 / 1e6).filter(|v| *v > 0.0),
                    whisker: l.map(|l| (l.p50_ns as f64 / 1e6, l.p99_ns as f64 / 1e6)),
                    note: match l {
                        Some(l) => format!(
                            "{:.1} / {:.1} / max {:.1}",
                            l.p50_ns as f64 / 1e6,
                            l.p99_ns as f64 / 1e6,
                            l.max_ns as f64 / 1e6
                        ),
                        None => c.status.to_string(),
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
                    family: c.family,
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

/// Every chart of the report, by path relative to the output directory; `runs` is the history
/// of recorded runs to draw trends from.
pub(super) fn all(
    s: &Summary,
    runs: &[history::Run],
) -> Result<BTreeMap<String, Vec<u8>>, ChartError> {
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
                        note: match c.status {
                            CellStatus::Skipped => "skip",
                            CellStatus::Failed => "FAIL",
                            CellStatus::Missing => "n/a",
                            CellStatus::Ok => "no floor",
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
                let family = s.cells.iter().find(|c| &c.strategy == st)?.family;
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
    Ok(files)
}
