//! `results/README.md`: the report itself. First the answer (winners and costs), then the
//! findings, one table per workload (fastest first), the charts, and the machine.

use super::findings;
use super::summary::{Cell, CellStatus, Summary};
use super::text::{mib, ms, ratio, us};
use std::fmt::Write;

fn opt(v: Option<u64>) -> String {
    v.map_or("-".into(), |v| v.to_string())
}

fn errors(c: &Cell) -> String {
    if c.errors.is_empty() {
        "0".into()
    } else {
        c.errors
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn status(c: &Cell) -> String {
    let mut s = match (&c.reason, c.unstable) {
        (Some(r), _) => format!("{}: {}", c.status, r.replace('|', "/")),
        (None, true) => format!(
            "{}, **unstable** (p90 {:.2}x the median)",
            c.status,
            c.p90_ns.unwrap_or(0.0) / c.median_ns.unwrap_or(1.0)
        ),
        (None, false) => c.status.to_string(),
    };
    if let (true, Some(busy)) = (c.server_bound, c.server_busy) {
        s.push_str(&format!(
            ", **server-bound** (the server used {:.0}% of a core)",
            busy * 100.0
        ));
    }
    s
}

/// How far a rerun moved a set of cells, in one sentence.
fn spread(regressions: usize, s: &super::summary::Spread) -> String {
    let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
    format!(
        "{regressions} regression(s); |change| median {:.1}%, p90 {:.1}%, max {:.1}%; {} of {} \
         cells ({:.0}%) inside this run's interval; of the {} cells of 5 ms or more, {} ({:.0}%) \
         within 10%.",
        s.median_abs_change_pct,
        s.p90_abs_change_pct,
        s.max_abs_change_pct,
        s.inside_baseline_interval,
        s.compared,
        pct(s.inside_baseline_interval, s.compared),
        s.over_5ms,
        s.over_5ms_within_threshold,
        pct(s.over_5ms_within_threshold, s.over_5ms)
    )
}

/// "1 thread, pinned to core 1", or what is known of it.
fn server_layout(s: &Summary) -> String {
    match (s.server_threads, s.server_core) {
        (None, _) => "threads not known".into(),
        (Some(t), core) => format!(
            "{t} thread{}, {}",
            if t == 1 { "" } else { "s" },
            core.map_or("not pinned".into(), |c| format!("pinned to core {c}"))
        ),
    }
}

/// The chart files the report refers to, by workload.
pub fn chart_name(kind: &str, workload: &str) -> String {
    format!("charts/{kind}-{workload}.svg")
}

/// Renders the report; `charts` lists the chart files that exist (relative to the report).
pub fn render(s: &Summary, charts: &[String]) -> String {
    let mut o = String::new();
    let c = &s.context;
    let _ = writeln!(o, "# fanout-bench results\n");
    let _ = writeln!(
        o,
        "Measured on {}: profile `{}`, {} cores ({}), {}, {}, commit `{}`, mock server in a {} process ({}). Every \
         number below is in [`summary.json`](summary.json). Each cell was measured in {} rounds \
         spread over the run, each round in a fresh process and in a shuffled order (seed {}); \
         a time is the median wall time per batch over every timed batch of every round, with \
         its 95% interval from a bootstrap over rounds, then batches, so it spans how far the \
         rounds disagreed. Every batch was verified response by response and counted at the \
         server.\n",
        super::text::date(s.run_started_unix),
        s.profile,
        c.cores,
        c.cpu_model,
        c.kernel,
        c.rustc,
        c.git_commit,
        s.server.trim_end_matches("-process"),
        server_layout(s),
        s.rounds,
        s.seed
    );
    if let Some(r) = &s.rerun {
        let _ = writeln!(
            o,
            "**How far a rerun moved these numbers**: a second run of this profile on the same \
             machine ({}), compared cell by cell with `fanout compare`, the Rust strategies: {}\n",
            super::text::date(r.run_started_unix),
            spread(r.regressions, &r.spread)
        );
        if let Some(p) = &r.python {
            let _ = writeln!(
                o,
                "The Python peers, compared apart: {}\n",
                spread(p.regressions, &p.spread)
            );
        }
        if !r.not_measured_in_rerun.is_empty() {
            let _ = writeln!(
                o,
                "Measured here but not in the rerun: {}.\n",
                r.not_measured_in_rerun
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    if let Some((lo, mid, hi)) = s.pace() {
        let _ = writeln!(
            o,
            "The machine's pace during the run (the mock server's capacity, measured as each \
             round started): {:.0} to {:.0} requests/s, median {:.0}; a wide range means the \
             machine itself sped up or slowed down under its neighbours, and every number \
             below moved with it.\n",
            lo, hi, mid
        );
    }
    if let Some(steal) = s.steal_share {
        let _ = writeln!(
            o,
            "**Host steal**: over every timed batch (those measured again included), the hypervisor gave {:.1}% of this \
             machine's CPU time to other machines (`steal` in /proc/stat, stolen time / (wall x \
             cores)){}. Stolen time lengthens a batch without the strategy doing anything, so a \
             timed batch during which the host stole more than 10% was measured again (at most \
             3 times a round): {} of them, beside the {} timed batches the figures come from. \
             Each cell's share and count are in `summary.json` (`steal_share`, \
             `stolen_batches`).\n",
            steal * 100.0,
            match s.round_steal_share.is_empty() {
                true => String::new(),
                false => format!(
                    "; while each round's pace was measured: {}",
                    s.round_steal_share
                        .iter()
                        .map(|x| format!("{:.0}%", x * 100.0))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
            s.stolen_batches,
            s.timed_batches
        );
    }
    if !s.not_run.is_empty() {
        let shown: Vec<String> = s
            .not_run
            .iter()
            .take(12)
            .map(|id| format!("`{id}`"))
            .collect();
        let _ = writeln!(
            o,
            "**Partial run**: {} cells of profile `{}` were not run in this pass (a filtered \
             `cargo bench`): {}{}.\n",
            s.not_run.len(),
            s.profile,
            shown.join(", "),
            if s.not_run.len() > 12 { ", ..." } else { "" }
        );
    }
    let _ = writeln!(o, "## Which strategy for N URLs?\n");
    let _ = writeln!(
        o,
        "| workload | N | fastest (named only when its 95% interval clears every other) | median | x floor | client CPU per request | next after them |"
    );
    let _ = writeln!(o, "|---|---:|---|---:|---:|---:|---|");
    for w in s.workloads() {
        let ranked = s.measured(w);
        let Some(first) = ranked.first() else {
            continue;
        };
        let (fastest, next) = match findings::answer(s, w) {
            findings::Answer::Winner(c) => (format!("`{}`", c.strategy), ranked.get(1)),
            findings::Answer::Unstable(c) => (
                format!("none named: `{}` is fastest but unstable", c.strategy),
                ranked.get(1),
            ),
            findings::Answer::Tied(t) => (
                format!("tied: {}", findings::names(&t)),
                // The fastest cell outside the tie set (it need not be a prefix of the
                // ranking: a slow cell with a wide interval can still overlap the fastest).
                ranked
                    .iter()
                    .find(|c| !t.iter().any(|m| m.strategy == c.strategy)),
            ),
            findings::Answer::None => continue,
        };
        let runner = next.map_or("-".into(), |r| {
            format!("`{}` ({})", r.strategy, ms(r.median_ns.unwrap_or(0.0)))
        });
        let _ = writeln!(
            o,
            "| {w} | {} | {fastest} | {} | {} | {} | {runner} |",
            first.requests,
            ms(first.median_ns.unwrap_or(0.0)),
            ratio(first.ratio_to_floor),
            first.cpu_per_request_ns.map_or("-".into(), us)
        );
    }
    let _ = writeln!(o, "\n## Findings\n");
    for line in findings::winners(s).iter().chain(&findings::choices(s)) {
        let _ = writeln!(o, "- {line}");
    }
    let _ = writeln!(
        o,
        "\nHow close each family gets to the achievable floor (its best member, per workload):\n"
    );
    for line in findings::families(s) {
        let _ = writeln!(o, "- {line}");
    }
    contrast(&mut o, s, charts);
    python(&mut o, s);
    let _ = writeln!(o, "\n## Results by workload\n");
    let _ = writeln!(
        o,
        "Fastest first. `x floor` is the median over the workload's **achievable floor**, one \
         number for every strategy of the workload, so the order by ratio is the order by time. \
         The floor is the largest of four lower bounds measured on this machine, each given \
         under the workload's heading: the longest request (every request at once); CPU, N x \
         (the least client CPU per request of any strategy + the least server CPU per request) \
         / cores; transfer, N x body bytes / the loopback rate from calibration; and N / the \
         server's capacity from calibration. `summary.json` also has each cell's \
         `ratio_to_own_floor`, over the latency floor for its own concurrency (sequential: the \
         sum of latencies; K workers: the in-order makespan), which says how well it uses the \
         concurrency it has. p90 / max are the tail of the timed batches; a cell \
         whose p90 is 1.5x its median or more is marked unstable and never named a winner. \
         Client CPU is user + system time of the cell's process per request (median batch). \
         Server CPU is the mock server's own threads' time per request over the same batches; a \
         cell is marked server-bound when the server used more than 80% of a core while its \
         batches ran: its time then measures the server as much as the strategy. \
         Threads added: the most threads alive at once during a cold batch above the count after \
         setup, sampled every millisecond (a thread that lives less can be missed). Peak RSS \
         above baseline: the cell's own process, its peak resident set over a round above its \
         resident set after setup. Connections are those opened by a cold batch / a warm one. \
         Skipped, failed and missing cells are listed with their reason.\n"
    );
    let _ = writeln!(
        o,
        "Each workload opens with its **timeline**: one untimed probe batch per strategy (the \
         one of median length among the cell's probe batches), every request a bar from the \
         start of its fetch to its outcome, request 1 at the top of its strip, all strips on one \
         time axis. After the table, a second one says **why**, from the probe batches (one \
         after the timed batches of each round; of the first round only for a cell whose \
         batch takes longer than the warm-up): request latency percentiles over every request \
         of them (HDR histogram); the **max loop stall**, the longest a ready task waited on \
         the strategy's executor (a heartbeat ticked every millisecond by a thread of its own \
         and polled where the strategy polls its requests: asyncio's slow-callback warning; \
         median over the probe batches; on a multi-thread runtime a heartbeat spawned as a \
         task shows a stall only when every worker is held, and any stall includes the time an \
         idle executor takes to wake); and **allocations** per request by every thread of the \
         cell's process.\n"
    );
    for w in s.workloads() {
        let _ = writeln!(o, "### {w}\n");
        let timeline = chart_name("timeline", w);
        if charts.contains(&timeline) {
            let _ = writeln!(
                o,
                "![every request of one batch, per strategy, on {w}]({timeline})\n"
            );
        }
        if let Some(f) = s.floor(w) {
            let _ = writeln!(o, "Achievable floor: {}\n", f.explain());
        }
        let chart = chart_name("time", w);
        if charts.contains(&chart) {
            let _ = writeln!(o, "![wall time per strategy on {w}]({chart})\n");
        }
        let _ = writeln!(
            o,
            "| strategy | median [95% CI] | p90 / max | x floor | client CPU per request | server CPU per request | threads added | peak RSS above baseline | connections | peak in flight | errors | status |"
        );
        let _ = writeln!(
            o,
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
        );
        for c in s.ranked(w) {
            let time = match (c.median_ns, c.ci_lower_ns, c.ci_upper_ns) {
                (Some(m), Some(l), Some(u)) => format!("{} [{} - {}]", ms(m), ms(l), ms(u)),
                _ => "-".into(),
            };
            let tail = match (c.p90_ns, c.max_ns) {
                (Some(p), Some(m)) => format!("{} / {}", ms(p), ms(m)),
                _ => "-".into(),
            };
            let _ = writeln!(
                o,
                "| `{}` | {time} | {tail} | {} | {} | {} | {} | {} | {} / {} | {} | {} | {} |",
                c.strategy,
                ratio(c.ratio_to_floor),
                c.cpu_per_request_ns.map_or("-".into(), us),
                c.server_cpu_per_request_ns.map_or("-".into(), us),
                opt(c.peak_threads_added),
                c.peak_rss_above_baseline_bytes.map_or("-".into(), mib),
                opt(c.connections_cold),
                opt(c.connections_warm),
                opt(c.peak_in_flight),
                errors(c),
                status(c)
            );
        }
        let _ = writeln!(o);
        why(&mut o, s, w);
        let latency = chart_name("latency", w);
        if charts.contains(&latency) {
            let _ = writeln!(o, "![request latency per strategy on {w}]({latency})\n");
        }
    }
    faults(&mut o, s);
    let rest: Vec<&String> = charts
        .iter()
        .filter(|c| {
            !["charts/time-", "charts/timeline-", "charts/latency-"]
                .iter()
                .any(|p| c.starts_with(p))
        })
        .collect();
    if !rest.is_empty() {
        let _ = writeln!(o, "## More charts\n");
        for c in rest {
            let _ = writeln!(o, "![{c}]({c})\n");
        }
    }
    let _ = writeln!(o, "## Fairness and method\n");
    let _ = writeln!(
        o,
        "The fairness rules every strategy follows (connection reuse, one timeout, runtime sizes, \
         the shared hyper stack) are in the project README, under \"Fairness rules\". The mock \
         server ran outside the client's process unless the header says otherwise, so CPU, \
         threads and memory are the client's alone. async-std is deprecated upstream in favour \
         of smol; it is kept as a compared runtime. The achievable floor is a lower bound, not a \
         promise: its CPU part assumes the least CPU any strategy needed could be spread over \
         every core with no waiting, and its parts are not added, though in a real batch they \
         overlap only in part.\n"
    );
    let _ = writeln!(o, "## Machine\n");
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(o, "| CPU | {} ({} cores) |", c.cpu_model, c.cores);
    let _ = writeln!(o, "| kernel | {} |", c.kernel);
    let _ = writeln!(o, "| compiler | {} |", c.rustc);
    for (k, v) in &c.crates {
        let _ = writeln!(o, "| {k} | {v} |");
    }
    if let Some(cal) = &s.calibration {
        let _ = writeln!(o, "\n### The mock server on this machine\n");
        o.push_str(&cal.markdown());
    }
    o
}

/// The probe batches' figures of a workload: why each strategy takes the time it takes.
fn why(o: &mut String, s: &Summary, w: &str) {
    let cells = s.ranked(w);
    if cells.iter().all(|c| c.request_latency.is_none()) {
        return;
    }
    let _ = writeln!(
        o,
        "| strategy | request latency p50 / p90 / p99 / max | max loop stall | allocations per request | allocated per request |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|");
    for c in cells {
        let latency = c.request_latency.map_or(c.status.to_string(), |l| {
            format!(
                "{} / {} / {} / {}",
                ms(l.p50_ns as f64),
                ms(l.p90_ns as f64),
                ms(l.p99_ns as f64),
                ms(l.max_ns as f64)
            )
        });
        let stall = match (c.max_loop_stall_ns, c.request_latency) {
            (Some(n), _) => ms(n as f64),
            (None, Some(_)) => "no executor".into(),
            (None, None) => "-".into(),
        };
        let _ = writeln!(
            o,
            "| `{}` | {latency} | {stall} | {} | {} |",
            c.strategy,
            c.allocations_per_request
                .map_or("-".into(), |v| format!("{v:.1}")),
            c.allocated_bytes_per_request
                .map_or("-".into(), |v| format!("{:.1} KiB", v / 1024.0)),
        );
    }
    let _ = writeln!(o);
}

/// Each Python pattern beside the Rust strategy it corresponds to, workload by workload.
fn python(o: &mut String, s: &Summary) {
    if !s.cells.iter().any(|c| c.counterpart.is_some()) {
        return;
    }
    let _ = writeln!(o, "\n## Rust and Python on the same server\n");
    let _ = writeln!(
        o,
        "The Python patterns themselves (`peers/python/fanout_peers.py`, CPython {}, `fanout \
         peers`), measured by the same method on the same mock server and workloads: rounds of \
         fresh processes, every response verified and counted. A Python batch is timed by \
         Python's own clock around the pattern's call, and its CPU is the Python process's, \
         every thread. Each row sets a pattern beside the Rust strategy it corresponds to; a \
         ratio over 1 means Python takes longer or more CPU.\n",
        python_version(s)
    );
    for w in s.workloads() {
        let rows: Vec<(&Cell, Option<&Cell>)> = s
            .cells
            .iter()
            .filter(|c| c.workload == w)
            .filter_map(|c| Some((c, s.cell(w, c.counterpart.as_deref()?))))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(o, "### {w}\n");
        let _ = writeln!(
            o,
            "| Python pattern | Rust counterpart | Python median | Rust median | time, Python / Rust | Python CPU per request | Rust CPU per request | CPU, Python / Rust |"
        );
        let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|---:|");
        for (p, r) in rows {
            let time = |c: &Cell| c.median_ns.map_or(c.status.to_string(), ms);
            let cpu = |c: &Cell| c.cpu_per_request_ns.filter(|_| c.status == CellStatus::Ok);
            let x = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
                _ => "-".into(),
            };
            let rust = r.map_or("-".into(), |r| format!("`{}`", r.strategy));
            let _ = writeln!(
                o,
                "| `{}` | {rust} | {} | {} | {} | {} | {} | {} |",
                p.strategy,
                time(p),
                r.map_or("-".into(), time),
                x(p.median_ns, r.and_then(|r| r.median_ns)),
                cpu(p).map_or("-".into(), us),
                r.and_then(cpu).map_or("-".into(), us),
                x(cpu(p).map(|v| v as f64), r.and_then(cpu).map(|v| v as f64)),
            );
        }
        let _ = writeln!(o);
    }
}

/// The CPython version the peers ran on, from the record's context.
fn python_version(s: &Summary) -> String {
    s.context
        .crates
        .get("cpython")
        .cloned()
        .unwrap_or_else(|| "(version not recorded)".into())
}

/// The mistake and the fix side by side, with what to see.
fn contrast(o: &mut String, s: &Summary, charts: &[String]) {
    let chart = "charts/timeline-contrast.svg";
    let Some(w) = super::contrast_workload(s) else {
        return;
    };
    if !charts.iter().any(|c| c == chart) {
        return;
    }
    let [bad, good] = super::CONTRAST.map(|st| s.cell(w, st));
    let (Some(bad), Some(good)) = (bad, good) else {
        return;
    };
    let stall = |c: &Cell| c.max_loop_stall_ns.map_or("-".into(), |n| ms(n as f64));
    let _ = writeln!(o, "\n## What blocking inside async code looks like\n");
    let _ = writeln!(
        o,
        "![{w}: `{}` and `{}`]({chart})\n",
        bad.strategy, good.strategy
    );
    let _ = writeln!(
        o,
        "Both run every request as async work on one thread: `{}` calls a blocking client \
         inside its tasks, so the requests run one after another (a staircase, {} a batch) and \
         a ready task waited up to {} for its event loop; `{}` awaits them, so they overlap (a \
         wall, {} a batch) and the longest wait was {} (each the median over the probe batches \
         of a batch's longest wait).\n",
        bad.strategy,
        bad.median_ns.map_or("-".into(), ms),
        stall(bad),
        good.strategy,
        good.median_ns.map_or("-".into(), ms),
        stall(good)
    );
}

/// Faults injected by the server against faults the client reported, per strategy: a fault
/// counted as a success (or an error the server never caused) would show as lost (or extra).
fn faults(o: &mut String, s: &Summary) {
    // The client's name for each server fault.
    const KINDS: [(&str, &str); 4] = [
        ("status_500", "status_500"),
        ("reset", "reset"),
        ("stall", "timeout"),
        ("truncated", "truncated"),
    ];
    for w in s.workloads() {
        let cells: Vec<&Cell> = s
            .cells
            .iter()
            .filter(|c| c.workload == w && !c.faults_injected.is_empty())
            .collect();
        if cells.is_empty() {
            continue;
        }
        let _ = writeln!(
            o,
            "## Faults on {w}: injected by the server, detected by the client
"
        );
        let _ = writeln!(
            o,
            "From the first cold batch of each cell: the server's own counters against the \
             errors each strategy returned, kind by kind (a stall must surface as a timeout).\n"
        );
        let _ = writeln!(
            o,
            "| strategy | requests | faults injected | faults detected | lost | extra |"
        );
        let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|");
        for c in cells {
            let (mut injected, mut detected, mut lost, mut extra) = (0u64, 0u64, 0u64, 0u64);
            for (server, client) in KINDS {
                let i = c.faults_injected.get(server).copied().unwrap_or(0);
                let d = c.errors.get(client).copied().unwrap_or(0) as u64;
                injected += i;
                detected += d;
                lost += i.saturating_sub(d);
                extra += d.saturating_sub(i);
            }
            let _ = writeln!(
                o,
                "| `{}` | {} | {injected} | {detected} | {lost} | {extra} |",
                c.strategy, c.requests
            );
        }
        let _ = writeln!(o);
    }
}
