//! Resource costs of one batch, measured outside criterion's timed loop: the client process's
//! CPU time and context switches (getrusage), its peak thread count and peak RSS (sampled from
//! /proc while the batch runs), and, from the mock server's counters, the connections the batch
//! opened and the most requests it had in flight. The server runs in another process by
//! default, so these are the client's costs alone.

use crate::run::{run_batch, Batch};
use crate::strategy::Strategy;
use crate::target::{Target, TargetError};
use crate::workload::Request;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The costs of one batch.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchMetrics {
    pub wall_ns: u64,
    pub user_ns: u64,
    pub system_ns: u64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
    /// Threads of the client process when the batch started (pools of earlier cells that
    /// have not wound down yet are counted here, not in the batch).
    pub threads_at_start: u64,
    /// The most threads the client process had while the batch ran.
    pub peak_threads: u64,
    /// The largest resident set of the client process while the batch ran.
    pub peak_rss_bytes: u64,
    /// Connections that carried this batch's requests and were new (from the server).
    pub connections_opened: u64,
    /// The most requests in progress at the server at once.
    pub peak_in_flight: u64,
    /// Outcomes by class: `ok`, `status_500`, `reset`, `timeout`, `truncated`, ...
    pub outcomes: BTreeMap<String, usize>,
    /// Faults the server says it injected, by kind.
    pub faults_injected: BTreeMap<String, u64>,
    /// `None` if every outcome was as planned, else what differed.
    pub verify_error: Option<String>,
}

#[derive(Clone, Copy, Default)]
struct Usage {
    user_ns: u64,
    system_ns: u64,
    voluntary: u64,
    involuntary: u64,
}

fn usage(who: libc::c_int) -> Usage {
    // SAFETY: getrusage writes into the zeroed struct we own; both arguments are valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut ru) } != 0 {
        return Usage::default();
    }
    let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1000;
    Usage {
        user_ns: ns(ru.ru_utime),
        system_ns: ns(ru.ru_stime),
        voluntary: ru.ru_nvcsw as u64,
        involuntary: ru.ru_nivcsw as u64,
    }
}

/// The process's thread count and resident set, from /proc/self/status.
fn threads_and_rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field("Threads:"), field("VmRSS:") * 1024)
}

/// Samples threads and RSS every few milliseconds on its own thread until stopped; its own
/// thread and CPU time are taken out of the figures.
struct Sampler {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<(u64, u64, Usage)>,
    threads_at_start: u64,
}

impl Sampler {
    fn start() -> Sampler {
        let threads_at_start = threads_and_rss().0;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let (mut threads, mut rss) = threads_and_rss();
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(2));
                let (t, r) = threads_and_rss();
                threads = threads.max(t);
                rss = rss.max(r);
            }
            (threads.saturating_sub(1), rss, usage(libc::RUSAGE_THREAD))
        });
        Sampler {
            stop,
            handle,
            threads_at_start,
        }
    }

    fn finish(self) -> (u64, u64, Usage) {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or_default()
    }
}

/// Runs one batch and records its costs.
pub fn measure(
    strategy: &mut dyn Strategy,
    requests: &[Request],
    target: &Target,
) -> Result<(Batch, BatchMetrics), TargetError> {
    let sampler = Sampler::start();
    let threads_at_start = sampler.threads_at_start;
    let before = usage(libc::RUSAGE_SELF);
    let batch = run_batch(strategy, requests, target)?;
    let after = usage(libc::RUSAGE_SELF);
    let (peak_threads, peak_rss_bytes, sampler_cpu) = sampler.finish();
    let f = batch.server.faults;
    let m = BatchMetrics {
        wall_ns: batch.wall.as_nanos() as u64,
        user_ns: (after.user_ns - before.user_ns).saturating_sub(sampler_cpu.user_ns),
        system_ns: (after.system_ns - before.system_ns).saturating_sub(sampler_cpu.system_ns),
        voluntary_switches: (after.voluntary - before.voluntary)
            .saturating_sub(sampler_cpu.voluntary),
        involuntary_switches: (after.involuntary - before.involuntary)
            .saturating_sub(sampler_cpu.involuntary),
        threads_at_start,
        peak_threads,
        peak_rss_bytes,
        connections_opened: batch.server.connections_used,
        peak_in_flight: batch.server.peak_in_flight,
        outcomes: batch.classes(),
        faults_injected: [
            ("status_500", f.status_500),
            ("reset", f.reset),
            ("stall", f.stall),
            ("truncated", f.truncated),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
        verify_error: batch.verified.as_ref().err().map(|e| e.to_string()),
    };
    Ok((batch, m))
}
