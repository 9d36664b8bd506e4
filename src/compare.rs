//! Baseline against current, cell by cell, with verdicts that ignore noise: a change is a
//! regression only when it exceeds the threshold **and** the two confidence intervals do not
//! overlap. Absolute times move between machines, so the same comparison can be made on the
//! ratio to the workload's achievable floor (measured on each run's own machine), or on the
//! ratio to a reference strategy of the same run.

pub use crate::report::summary::Spread;
use crate::report::summary::{Cell, Summary};
use serde::Serialize;
use std::fmt::Write;

/// What the comparison gates on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Median wall time per batch.
    Wall,
    /// Median over the workload's achievable floor: comparable across machines.
    FloorRatio,
    /// Median over the median of a reference strategy on the same workload.
    Relative(String),
    /// Client CPU per batch (no interval: the threshold alone decides).
    Cpu,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Improved,
    Regressed,
    Unchanged,
    Noise,
    Added,
    Removed,
    /// Present on both sides but without a value on one (skipped, failed, missing).
    Unmeasured,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Improved => "improved",
            Verdict::Regressed => "REGRESSED",
            Verdict::Unchanged => "unchanged",
            Verdict::Noise => "noise",
            Verdict::Added => "added",
            Verdict::Removed => "removed",
            Verdict::Unmeasured => "unmeasured",
        }
    }
}

/// A value with its interval (equal bounds when there is none).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Value {
    pub point: f64,
    pub lower: f64,
    pub upper: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub id: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
    /// (new - old) / old, in percent.
    pub change_pct: Option<f64>,
    pub verdict: Verdict,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub metric: String,
    pub threshold_pct: f64,
    pub rows: Vec<Row>,
    /// How far the two sides differ overall.
    pub spread: Option<Spread>,
    /// The machine's pace on each side (median server capacity over rounds), when both kept it.
    pub pace: Option<(f64, f64)>,
    /// The host's steal over each side's timed batches, when both kept it.
    pub steal: Option<(f64, f64)>,
}

impl Comparison {
    /// How far the two sides differ, `None` with no cell measured on both.
    fn measure_spread(&self) -> Option<Spread> {
        let both: Vec<(&Row, Value, Value)> = self
            .rows
            .iter()
            .filter_map(|r| Some((r, r.old?, r.new?)))
            .filter(|(_, o, _)| o.point > 0.0)
            .collect();
        if both.is_empty() {
            return None;
        }
        let mut abs: Vec<f64> = both
            .iter()
            .map(|(_, o, n)| (n.point / o.point - 1.0).abs() * 100.0)
            .collect();
        abs.sort_by(f64::total_cmp);
        let at = |q: f64| abs[((abs.len() as f64 * q).ceil() as usize).clamp(1, abs.len()) - 1];
        let wall = self.metric.starts_with("wall");
        let long: Vec<_> = both
            .iter()
            .filter(|(_, o, _)| wall && o.point >= 5e6)
            .collect();
        let threshold = self.threshold_pct / 100.0;
        Some(Spread {
            compared: both.len(),
            median_abs_change_pct: at(0.5),
            p90_abs_change_pct: at(0.9),
            max_abs_change_pct: at(1.0),
            over_5ms: long.len(),
            over_5ms_within_threshold: long
                .iter()
                .filter(|(_, o, n)| (n.point / o.point - 1.0).abs() < threshold)
                .count(),
            inside_baseline_interval: both
                .iter()
                .filter(|(_, o, n)| o.lower <= n.point && n.point <= o.upper)
                .count(),
        })
    }

    fn spread_text(&self) -> String {
        let mut o = String::new();
        if let Some((old, new)) = self.pace {
            let change = (new / old - 1.0) * 100.0;
            let _ = writeln!(
                o,
                "The machine's pace (mock server capacity, median over rounds): {old:.0} -> \
                 {new:.0} requests/s ({change:+.0}%){}",
                if change.abs() > 20.0 {
                    ": the machine itself changed between the runs, so part of any difference \
                     is the machine's"
                } else {
                    ""
                }
            );
        }
        if let Some((old, new)) = self.steal {
            let _ = writeln!(
                o,
                "Host steal over the timed batches (CPU time the hypervisor gave to other \
                 machines): {:.1}% -> {:.1}%{}",
                old * 100.0,
                new * 100.0,
                if old.max(new) > 0.05 {
                    ": over 5% on a side, its times include the host's other load"
                } else {
                    ""
                }
            );
        }
        let Some(s) = &self.spread else {
            o.push_str("No cell was measured on both sides.\n");
            return o;
        };
        let _ = write!(
            o,
            "{} cells on both sides: |change| median {:.1}%, p90 {:.1}%, max {:.1}%; {} of {} \
             ({:.0}%) inside the baseline's interval",
            s.compared,
            s.median_abs_change_pct,
            s.p90_abs_change_pct,
            s.max_abs_change_pct,
            s.inside_baseline_interval,
            s.compared,
            100.0 * s.inside_baseline_interval as f64 / s.compared as f64
        );
        if s.over_5ms > 0 {
            let _ = write!(
                o,
                "; of the {} cells at 5 ms or more, {} ({:.0}%) within {:.0}%",
                s.over_5ms,
                s.over_5ms_within_threshold,
                100.0 * s.over_5ms_within_threshold as f64 / s.over_5ms as f64,
                self.threshold_pct
            );
        }
        o.push_str(".\n");
        o
    }

    pub fn regressions(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.verdict == Verdict::Regressed)
            .count()
    }
}

fn metric_name(m: &Metric) -> String {
    match m {
        Metric::Wall => "wall time per batch".into(),
        Metric::FloorRatio => "ratio to the achievable floor".into(),
        Metric::Relative(r) => format!("ratio to {r}"),
        Metric::Cpu => "client CPU per batch".into(),
    }
}

fn value(s: &Summary, c: &Cell, m: &Metric) -> Option<Value> {
    let (point, lower, upper) = (c.median_ns?, c.ci_lower_ns?, c.ci_upper_ns?);
    let scale = match m {
        Metric::Wall => 1.0,
        Metric::FloorRatio => c.floor_ns as f64,
        Metric::Relative(r) => s.cell(&c.workload, r)?.median_ns?,
        Metric::Cpu => {
            let cpu = c.cpu_per_batch_ns? as f64;
            return Some(Value {
                point: cpu,
                lower: cpu,
                upper: cpu,
            });
        }
    };
    (scale > 0.0).then(|| Value {
        point: point / scale,
        lower: lower / scale,
        upper: upper / scale,
    })
}

/// The verdict for one pair of values.
pub fn verdict(old: Value, new: Value, threshold: f64) -> Verdict {
    let change = (new.point - old.point) / old.point;
    if change.abs() < threshold {
        Verdict::Unchanged
    } else if new.lower <= old.upper && old.lower <= new.upper {
        Verdict::Noise
    } else if change > 0.0 {
        Verdict::Regressed
    } else {
        Verdict::Improved
    }
}

/// Compares every cell of `base` and `current` (by `workload/strategy`).
pub fn compare(base: &Summary, current: &Summary, metric: &Metric, threshold: f64) -> Comparison {
    let mut ids: Vec<String> = base.cells.iter().map(Cell::id).collect();
    for c in &current.cells {
        if !ids.contains(&c.id()) {
            ids.push(c.id());
        }
    }
    let find = |s: &'_ Summary, id: &str| s.cells.iter().find(|c| c.id() == id).cloned();
    let rows = ids
        .into_iter()
        .map(|id| {
            let (a, b) = (find(base, &id), find(current, &id));
            let old = a.as_ref().and_then(|c| value(base, c, metric));
            let new = b.as_ref().and_then(|c| value(current, c, metric));
            let verdict = match (&a, &b, old, new) {
                (None, _, _, _) => Verdict::Added,
                (_, None, _, _) => Verdict::Removed,
                (_, _, Some(o), Some(n)) if o.point > 0.0 => verdict(o, n, threshold),
                _ => Verdict::Unmeasured,
            };
            let change_pct = old
                .zip(new)
                .filter(|(o, _)| o.point > 0.0)
                .map(|(o, n)| (n.point / o.point - 1.0) * 100.0);
            Row {
                id,
                old,
                new,
                change_pct,
                verdict,
            }
        })
        .collect();
    let mut c = Comparison {
        metric: metric_name(metric),
        threshold_pct: threshold * 100.0,
        rows,
        spread: None,
        pace: base.pace().zip(current.pace()).map(|(a, b)| (a.1, b.1)),
        steal: base.steal_share.zip(current.steal_share),
    };
    c.spread = c.measure_spread();
    c
}

fn fmt(v: Option<Value>, metric: &str) -> String {
    match v {
        None => "-".into(),
        Some(v) if metric.starts_with("wall") || metric.starts_with("client") => {
            format!("{:.3} ms", v.point / 1e6)
        }
        Some(v) => format!("{:.3}", v.point),
    }
}

impl Comparison {
    /// A plain-text table for a terminal.
    pub fn table(&self) -> String {
        let mut o = format!(
            "Comparing {} (regression: over {:.0}% and confidence intervals apart)\n\n{:<56} {:>14} {:>14} {:>9}  verdict\n",
            self.metric, self.threshold_pct, "cell", "baseline", "current", "change"
        );
        for r in &self.rows {
            let _ = writeln!(
                o,
                "{:<56} {:>14} {:>14} {:>9}  {}",
                r.id,
                fmt(r.old, &self.metric),
                fmt(r.new, &self.metric),
                r.change_pct.map_or("-".into(), |c| format!("{c:+.1}%")),
                r.verdict.as_str()
            );
        }
        let _ = writeln!(o, "\n{} regression(s)", self.regressions());
        o.push_str(&self.spread_text());
        o
    }

    /// A Markdown table for a pull-request comment.
    pub fn markdown(&self) -> String {
        let mut o = format!(
            "### fanout-bench: {} regression(s)\n\nMetric: {}; a change counts when it is over {:.0}% and the confidence intervals do not overlap.\n\n| cell | baseline | current | change | verdict |\n|---|---:|---:|---:|---|\n",
            self.regressions(), self.metric, self.threshold_pct
        );
        for r in &self.rows {
            let _ = writeln!(
                o,
                "| `{}` | {} | {} | {} | {} |",
                r.id,
                fmt(r.old, &self.metric),
                fmt(r.new, &self.metric),
                r.change_pct.map_or("-".into(), |c| format!("{c:+.1}%")),
                if r.verdict == Verdict::Regressed {
                    "**regressed**"
                } else {
                    r.verdict.as_str()
                }
            );
        }
        let _ = write!(o, "\n{}", self.spread_text());
        o
    }
}
