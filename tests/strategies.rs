//! Every strategy against the real mock server on loopback: each batch verifies, every fault
//! surfaces as its own kind, and the concurrency each strategy claims is what the server sees.

use fanout_bench::strategy::{self, Concurrency, Entry, Settings};
use fanout_bench::{verify, ProfileFile, Workload};
use mock_server::{Config, ServerHandle};
use std::path::Path;
use std::time::{Duration, Instant};

fn workload(toml: &str) -> Workload {
    ProfileFile::parse(toml, Path::new("test.toml"))
        .unwrap_or_else(|e| panic!("{e}"))
        .workload
        .remove(0)
}

fn server() -> ServerHandle {
    mock_server::start(Config::default()).unwrap()
}

/// Runs one batch; returns its outcomes after checking them against the plan.
fn run_verified(entry: &Entry, w: &Workload, server: &ServerHandle) -> Duration {
    let mut s = entry.build(&Settings::for_workload(w)).unwrap();
    let requests = w.requests(&server.base_url());
    let expected: Vec<_> = requests.iter().map(|r| r.expected).collect();
    let started = Instant::now();
    let outcomes = s.run(&requests, None);
    let took = started.elapsed();
    if let Err(e) = verify(&expected, &outcomes) {
        panic!("{}: {e}", entry.info.id);
    }
    took
}

#[test]
fn every_strategy_returns_every_body_as_planned() {
    let s = server();
    let w = workload(
        r#"[[workload]]
name = "plain"
requests = 40
bytes = 3000
latency = { model = "uniform", min_ms = 1, max_ms = 5 }
cpu_work = 100
"#,
    );
    for entry in strategy::registry() {
        run_verified(&entry, &w, &s);
        // A second batch on the same strategy: clients and pools are reused.
        run_verified(&entry, &w, &s);
    }
}

#[test]
fn every_fault_surfaces_as_its_own_kind_and_the_batch_ends_in_time() {
    let s = server();
    let w = workload(
        r#"[[workload]]
name = "faulty"
requests = 20
bytes = 512
latency = { model = "fixed", ms = 2 }
timeout_ms = 800
faults = { status_500 = 0.1, reset = 0.1, stall = 0.05, truncated = 0.1 }
"#,
    );
    for entry in strategy::registry() {
        s.reset_stats();
        let took = run_verified(&entry, &w, &s);
        let injected = s.stats().faults;
        assert_eq!(
            (
                injected.status_500,
                injected.reset,
                injected.stall,
                injected.truncated
            ),
            (2, 2, 1, 2),
            "{}: the server injected a different set of faults (a client retried?)",
            entry.info.id
        );
        // Floor for one-at-a-time: 19 x 2 ms + one 800 ms timeout; allow generous slack.
        let bound = w.floor(Some(1)) + Duration::from_secs(3);
        assert!(
            took < bound,
            "{} took {took:?}, over {bound:?}",
            entry.info.id
        );
    }
}

#[test]
fn the_server_sees_the_concurrency_each_strategy_claims() {
    let s = server();
    let one = workload(
        r#"[[workload]]
name = "one"
requests = 6
bytes = 16
latency = { model = "fixed", ms = 30 }
"#,
    );
    let many = workload(
        r#"[[workload]]
name = "many"
requests = 16
bytes = 16
concurrency = 4
latency = { model = "fixed", ms = 300 }
"#,
    );
    for entry in strategy::registry() {
        let w = if entry.info.concurrency == Concurrency::One {
            &one
        } else {
            &many
        };
        let mut st = entry.build(&Settings::for_workload(w)).unwrap();
        let requests = w.requests(&s.base_url());
        s.reset_stats();
        let outcomes = st.run(&requests, None);
        let stats = s.stats();
        let expected: Vec<_> = requests.iter().map(|r| r.expected).collect();
        verify(&expected, &outcomes).unwrap();
        let peak = stats.peak_in_flight as usize;
        let id = entry.info.id;
        match entry.info.concurrency {
            Concurrency::One => assert_eq!(peak, 1, "{id}"),
            Concurrency::K => assert!((2..=4).contains(&peak), "{id}: peak {peak}, K = 4"),
            Concurrency::Cores => {
                assert!(peak <= strategy::cores() && peak >= 1, "{id}: peak {peak}")
            }
            Concurrency::All | Concurrency::BlockingPool => {
                assert!(peak >= 12, "{id}: peak {peak} of 16")
            }
            Concurrency::PythonPool | Concurrency::Fixed(_) => {
                unreachable!("{id}: only the Python peers have these, and they are not here")
            }
        }
        assert!(
            stats.connections_used as usize <= w.requests,
            "{id}: {stats:?}"
        );
    }
}

/// The probe batch works for every strategy: it verifies, times every request, and has a loop
/// stall exactly for the strategies that run an executor. On a current-thread runtime, blocking
/// calls inside tasks stall the loop for at least one request's latency.
#[test]
fn every_strategy_runs_its_probe_batch() {
    let s = server();
    let w = workload(
        r#"[[workload]]
name = "probe"
requests = 12
bytes = 64
latency = { model = "fixed", ms = 20 }
"#,
    );
    let target = fanout_bench::target::Target::remote(&s.base_url()).unwrap();
    for entry in strategy::registry() {
        let id = entry.info.id;
        let mut st = entry.build(&Settings::for_workload(&w)).unwrap();
        let requests = w.requests(&s.base_url());
        let (batch, probe) =
            fanout_bench::run::run_probe_batch(st.as_mut(), &requests, &target).unwrap();
        assert_eq!(batch.problem(), None, "{id}");
        assert_eq!(probe.spans_us.len(), 12, "{id}");
        for span in &probe.spans_us {
            let [start, end] = span.unwrap_or_else(|| panic!("{id}: a request was not timed"));
            assert!(
                end - start >= 20_000,
                "{id}: a 20 ms request took {start}..{end} us"
            );
        }
        let executor = !(id.starts_with("threads/")
            || id == "sequential/ureq"
            || id == "sequential/reqwest-blocking");
        assert_eq!(probe.max_loop_stall_ns.is_some(), executor, "{id}");
        if id == "antipattern/blocking-in-async" {
            let stall = probe.max_loop_stall_ns.unwrap();
            assert!(stall >= 20_000_000, "{id}: stall {stall} ns");
        }
    }
}
