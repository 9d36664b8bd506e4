//! The findings at the top of the report, written from the numbers of `summary.json` (never by
//! hand): the winner of each workload and its margin, how far each family is from the floor,
//! and the costs of the classic choices.

use super::summary::{Cell, Summary};
use super::text::{ms, ratio};

fn measured<'a>(s: &'a Summary, workload: &str, strategy: &str) -> Option<&'a Cell> {
    s.cell(workload, strategy).filter(|c| c.median_ns.is_some())
}

/// Latency-bound workloads (non-zero latency floor) where both strategies were measured,
/// largest N first: where concurrency is what decides.
fn both<'a>(s: &'a Summary, a: &str, b: &str) -> Vec<(&'a Cell, &'a Cell)> {
    let mut v: Vec<_> = s
        .workloads()
        .into_iter()
        .filter_map(|w| Some((measured(s, w, a)?, measured(s, w, b)?)))
        .filter(|(x, _)| x.own_floor_ns > 0)
        .collect();
    v.sort_by_key(|(x, _)| std::cmp::Reverse(x.requests));
    v
}

/// Whether two cells' confidence intervals overlap (then neither is shown to be faster).
fn cis_overlap(a: &Cell, b: &Cell) -> bool {
    match (a.ci_lower_ns, a.ci_upper_ns, b.ci_lower_ns, b.ci_upper_ns) {
        (Some(al), Some(au), Some(bl), Some(bu)) => al <= bu && bl <= au,
        _ => false,
    }
}

fn med(c: &Cell) -> f64 {
    c.median_ns.unwrap_or(f64::NAN)
}

/// The answer for one workload: the fastest measured cell and every cell whose 95% interval
/// overlaps it. A winner is named only when that set is the fastest alone and it is stable.
pub enum Answer<'a> {
    Winner(&'a Cell),
    /// Cells that cannot be told apart from the fastest (intervals overlap), fastest first.
    Tied(Vec<&'a Cell>),
    /// The fastest cell clears every other, but its batches spread too widely to name it.
    Unstable(&'a Cell),
    None,
}

pub fn answer<'a>(s: &'a Summary, workload: &str) -> Answer<'a> {
    let ranked = s.measured(workload);
    let Some(first) = ranked.first() else {
        return Answer::None;
    };
    let tied: Vec<&Cell> = ranked
        .iter()
        .copied()
        .filter(|c| c.strategy == first.strategy || cis_overlap(first, c))
        .collect();
    match (tied.len(), first.unstable) {
        (1, false) => Answer::Winner(first),
        (1, true) => Answer::Unstable(first),
        _ => Answer::Tied(tied),
    }
}

/// `A`, `B` and `C`, each marked when unstable.
pub fn names(cells: &[&Cell]) -> String {
    cells
        .iter()
        .map(|c| match c.unstable {
            true => format!("`{}` (unstable)", c.strategy),
            false => format!("`{}`", c.strategy),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The winner of each workload, with its margin over the runner-up, or the tie set.
pub fn winners(s: &Summary) -> Vec<String> {
    let mut out = Vec::new();
    for w in s.workloads() {
        let ranked = s.measured(w);
        let Some(first) = ranked.first() else {
            out.push(format!("**{w}**: no strategy was measured."));
            continue;
        };
        let of_floor = first.ratio_to_floor.map_or_else(String::new, |r| {
            format!(" ({} the achievable floor)", ratio(Some(r)))
        });
        let mut line = match answer(s, w) {
            Answer::Winner(first) => {
                let mut line = format!(
                    "**{w}** (N = {}): `{}` wins at {}{of_floor}",
                    first.requests,
                    first.strategy,
                    ms(med(first)),
                );
                if let Some(second) = ranked.get(1) {
                    line.push_str(&format!(
                        ", {:.0}% ahead of `{}` ({}); its 95% interval clears every other cell's",
                        (med(second) / med(first) - 1.0) * 100.0,
                        second.strategy,
                        ms(med(second))
                    ));
                }
                line
            }
            Answer::Unstable(first) => format!(
                "**{w}** (N = {}): `{}` has the fastest median, {}{of_floor}, but no winner is \
                 named: its batches spread widely (p90 {}, {:.2}x the median)",
                first.requests,
                first.strategy,
                ms(med(first)),
                ms(first.p90_ns.unwrap_or(f64::NAN)),
                first.p90_ns.unwrap_or(f64::NAN) / med(first)
            ),
            Answer::Tied(tied) => format!(
                "**{w}** (N = {}): no single winner; tied, their 95% intervals overlapping the \
                 fastest's: {} (medians {} to {})",
                first.requests,
                names(&tied),
                ms(med(tied[0])),
                ms(med(tied[tied.len() - 1]))
            ),
            Answer::None => unreachable!("a measured cell exists"),
        };
        if let Some(last) = ranked
            .last()
            .filter(|l| ranked.len() > 2 && l.strategy != first.strategy)
        {
            line.push_str(&format!(
                "; the slowest measured, `{}`, takes {} ({:.1}x the fastest)",
                last.strategy,
                ms(med(last)),
                med(last) / med(first)
            ));
        }
        line.push('.');
        out.push(line);
    }
    out
}

/// For each family: its best member's ratio to the floor, median and range over workloads.
pub fn families(s: &Summary) -> Vec<String> {
    let mut out = Vec::new();
    for f in crate::strategy::Family::ALL {
        let mut best: Vec<(f64, &str)> = Vec::new();
        for w in s.workloads() {
            let b = s
                .cells
                .iter()
                .filter(|c| c.workload == w && c.family == f)
                .filter_map(|c| c.ratio_to_floor)
                .fold(f64::MAX, f64::min);
            if b < f64::MAX {
                best.push((b, w));
            }
        }
        if best.is_empty() {
            continue;
        }
        best.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (lo, hi) = (best[0], best[best.len() - 1]);
        out.push(if best.len() == 1 {
            format!(
                "**{f}**: its best member is {} the floor (on {}, the one workload measured).",
                ratio(Some(lo.0)),
                lo.1
            )
        } else {
            format!(
                "**{f}**: its best member is {} the floor (median over {} workloads; from {:.2}x on {} to {:.2}x on {}).",
                ratio(Some(best[best.len() / 2].0)),
                best.len(),
                lo.0,
                lo.1,
                hi.0,
                hi.1
            )
        });
    }
    out
}

/// The costs of the classic choices, each from the workload with the largest N where both
/// sides were measured.
pub fn choices(s: &Summary) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((rayon, pool)) = both(s, "threads/rayon-default", "threads/pool-k").first() {
        out.push(format!(
            "**rayon's default pool for I/O**: it has one thread per core ({} here), so at most {} \
             requests were in flight on {}; it took {} against {} for a pool of K = {} threads \
             ({:.1}x the time).",
            rayon.concurrency_limit.unwrap_or(0),
            rayon.peak_in_flight.unwrap_or(0),
            rayon.workload,
            ms(med(rayon)),
            ms(med(pool)),
            pool.concurrency_limit.unwrap_or(0),
            med(rayon) / med(pool)
        ));
    }
    if let Some((bad, good)) = both(
        s,
        "antipattern/blocking-in-async",
        "gather/tokio-current-thread",
    )
    .first()
    {
        out.push(format!(
            "**Blocking inside async**: a blocking call in async tasks on a single-threaded runtime \
             took {} on {} against {} for the same runtime with an async client ({:.1}x): peak \
             requests in flight {} instead of {}.",
            ms(med(bad)),
            bad.workload,
            ms(med(good)),
            med(bad) / med(good),
            bad.peak_in_flight.unwrap_or(0),
            good.peak_in_flight.unwrap_or(0)
        ));
    }
    // At every N measured, largest first: the cost grows with N, so one N would flatter it.
    let bridges = both(s, "bridge/runtime-per-call", "bridge/shared-runtime");
    if !bridges.is_empty() {
        let at: Vec<String> = bridges
            .iter()
            .map(|(per_call, shared)| {
                format!(
                    "{} on {} against {} ({:+.1} ms per call; {} connections opened per call \
                     against {} once warm)",
                    ms(med(per_call)),
                    per_call.workload,
                    ms(med(shared)),
                    (med(per_call) - med(shared)) / 1e6,
                    per_call
                        .connections_warm
                        .or(per_call.connections_cold)
                        .unwrap_or(0),
                    shared.connections_warm.unwrap_or(0)
                )
            })
            .collect();
        out.push(format!(
            "**A runtime per call** (`asyncio.run` in a sync route) against one shared runtime, \
             at every N measured: {}.",
            at.join("; ")
        ));
    }
    out.extend(anomalies(s));
    let sweep: Vec<String> = super::sweeps(s).into_values().flatten().collect();
    let mut tpu: Vec<&Cell> = s
        .cells
        .iter()
        .filter(|c| c.strategy == "threads/thread-per-url" && sweep.contains(&c.workload))
        .collect();
    tpu.sort_by_key(|c| c.requests);
    if tpu.len() > 1 {
        let parts: Vec<String> = tpu
            .iter()
            .map(|c| match c.ratio_to_floor {
                Some(r) => format!(
                    "N = {}: {} ({r:.2}x the achievable floor, {} threads added)",
                    c.requests,
                    ms(med(c)),
                    c.peak_threads_added.unwrap_or(0)
                ),
                None => format!("N = {} on {}: {}", c.requests, c.workload, c.status),
            })
            .collect();
        let best: Vec<String> = tpu
            .iter()
            .filter_map(|c| {
                let g = s
                    .measured(&c.workload)
                    .into_iter()
                    .find(|g| g.family == crate::strategy::Family::Gather)?;
                Some(format!(
                    "{} at N = {} (`{}`)",
                    ms(med(g)),
                    c.requests,
                    g.strategy
                ))
            })
            .collect();
        out.push(format!(
            "**Thread per URL as N grows**: {}. The fastest gather on the same workloads: {}.",
            parts.join("; "),
            best.join(", ")
        ));
    }
    out
}

/// Results that go against what the strategies' code predicts, each with the measured control
/// that explains it, or labelled unexplained. `bridge/runtime-per-call` runs the same client code
/// as `bridge/shared-runtime` plus a new runtime and new connections on every call, so it should
/// never be faster. The control is `gather/tokio-join-all`: a shared runtime whose gather is
/// polled on the calling thread, as runtime-per-call's is (shared-runtime spawns it onto a
/// worker). When the control is as fast as runtime-per-call, where the gather is polled
/// explains the difference; otherwise nothing measured here does.
pub fn anomalies(s: &Summary) -> Vec<String> {
    let mut out = Vec::new();
    for w in s.workloads() {
        let (Some(per_call), Some(shared)) = (
            measured(s, w, "bridge/runtime-per-call"),
            measured(s, w, "bridge/shared-runtime"),
        ) else {
            continue;
        };
        let clearly_faster = match (per_call.ci_upper_ns, shared.ci_lower_ns) {
            (Some(u), Some(l)) => u < l,
            _ => false,
        };
        if !clearly_faster {
            continue;
        }
        let control = measured(s, w, "gather/tokio-join-all");
        let verdict = match control {
            Some(c) if !cis_overlap(c, shared) && cis_overlap(c, per_call) => format!(
                "the control `gather/tokio-join-all` (one shared runtime, the gather polled on \
                 the calling thread as runtime-per-call's is) took {}, as fast: where the gather \
                 is polled explains it, not the fresh runtime",
                ms(med(c))
            ),
            Some(c) => format!(
                "the control `gather/tokio-join-all` (one shared runtime, the gather polled on \
                 the calling thread) took {}, so where the gather is polled does not explain \
                 it: **unexplained**",
                ms(med(c))
            ),
            None => "no control was measured: **unexplained**".into(),
        };
        out.push(format!(
            "**Against expectation on {w}**: `bridge/runtime-per-call` took {} and \
             `bridge/shared-runtime` {}, though per call it builds a runtime and opens {} \
             connections more; {verdict}.",
            ms(med(per_call)),
            ms(med(shared)),
            per_call
                .connections_warm
                .or(per_call.connections_cold)
                .unwrap_or(0)
                .saturating_sub(shared.connections_warm.unwrap_or(0)),
        ));
    }
    out
}
