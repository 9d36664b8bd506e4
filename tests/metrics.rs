//! What the metrics pass records, checked as facts rather than timings.

use fanout_bench::strategy::{self, Settings};
use fanout_bench::target::Target;
use fanout_bench::{metrics, ProfileFile};
use std::path::Path;

/// Thread counts are the process's: the tests here take turns, so one test's server and
/// strategy threads never show in another's figures.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn workload(requests: usize) -> fanout_bench::Workload {
    let text = format!(
        "[[workload]]\nname = \"w\"\nrequests = {requests}\nbytes = 64\nlatency = {{ model = \"fixed\", ms = 100 }}\n"
    );
    ProfileFile::parse(&text, Path::new("t.toml"))
        .unwrap()
        .workload
        .remove(0)
}

fn build(id: &str, w: &fanout_bench::Workload) -> Box<dyn strategy::Strategy> {
    strategy::select(id).unwrap()[0]
        .build(&Settings::for_workload(w))
        .unwrap()
}

#[test]
fn a_sequential_strategy_opens_one_connection_and_then_reuses_it() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let target = Target::in_process().unwrap();
    let w = workload(4);
    let mut s = build("sequential/ureq", &w);
    let requests = w.requests(&target.base_url());
    let (_, first) = metrics::measure(s.as_mut(), &requests, &target).unwrap();
    let (_, second) = metrics::measure(s.as_mut(), &requests, &target).unwrap();
    assert_eq!(
        (first.connections_opened, first.peak_in_flight),
        (1, 1),
        "{first:?}"
    );
    assert_eq!(
        second.connections_opened, 0,
        "the pooled connection was not reused: {second:?}"
    );
    assert_eq!(first.outcomes.get("ok"), Some(&4));
    assert!(first.verify_error.is_none());
    assert!(first.wall_ns >= 400_000_000);
}

#[test]
fn thread_per_url_shows_n_threads_and_n_connections() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let target = Target::in_process().unwrap();
    let w = workload(40);
    let mut s = build("threads/thread-per-url", &w);
    let requests = w.requests(&target.base_url());
    let (_, m) = metrics::measure(s.as_mut(), &requests, &target).unwrap();
    assert!(m.peak_threads >= 40, "{m:?}");
    assert_eq!(m.connections_opened, 40, "{m:?}");
    assert_eq!(m.requests_served, 40, "{m:?}");
    // The sampler's own thread is not counted: a sequential strategy adds no thread. (The
    // count at the start may still hold a joined thread of the batch before that the kernel
    // has not yet removed, so the peak may be below it, never above.)
    let w = workload(3);
    let mut s = build("sequential/ureq", &w);
    let (_, seq) = metrics::measure(s.as_mut(), &w.requests(&target.base_url()), &target).unwrap();
    assert!(seq.peak_threads <= seq.threads_at_start, "{seq:?}");
}
