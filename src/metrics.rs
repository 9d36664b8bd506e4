//! Resource costs of batches. Every batch records the client process's CPU time and context
//! switches (getrusage, taken around the batch alone) and, from the mock server's counters, the
//! connections it opened, the requests the server received and the most it had in flight. The
//! cold batch of a round (the first in its fresh process) also samples the thread count from
//! /proc every millisecond on a thread of its own, whose CPU is taken out of the figures; the
//! timed batches run without that sampler. The server runs in another process by default, so
//! these are the client's costs alone.

use crate::run::{run_batch, Batch};
use crate::rusage;
use crate::strategy::Strategy;
use crate::target::{Target, TargetError};
use crate::workload::Request;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The costs of the cold batch of a round.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchMetrics {
    pub wall_ns: u64,
    pub user_ns: u64,
    pub system_ns: u64,
    pub voluntary_switches: u64,
    pub involuntary_switches: u64,
    /// Threads of the client process when the batch started.
    pub threads_at_start: u64,
    /// The most threads alive at once while the batch ran, sampled every millisecond (a thread
    /// that lives less than that can be missed).
    pub peak_threads: u64,
    /// Connections that carried this batch's requests and were new (from the server).
    pub connections_opened: u64,
    /// Requests the server received during the batch.
    pub requests_served: u64,
    /// The most requests in progress at the server at once.
    pub peak_in_flight: u64,
    /// Outcomes by class: `ok`, `status_500`, `reset`, `timeout`, `truncated`, ...
    pub outcomes: BTreeMap<String, usize>,
    /// Faults the server says it injected, by kind.
    pub faults_injected: BTreeMap<String, u64>,
    /// `None` if every outcome was as planned and counted, else what differed.
    pub verify_error: Option<String>,
}

/// One timed batch: its wall time and what it cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedBatch {
    pub wall_ns: u64,
    /// Client CPU, user + system.
    pub cpu_ns: u64,
    /// Voluntary + involuntary context switches of the client.
    pub switches: u64,
    pub connections_opened: u64,
    pub requests_served: u64,
    pub peak_in_flight: u64,
    /// The mock server's own CPU (its threads' user + system time) from the reset before the
    /// batch to the read after it.
    #[serde(default)]
    pub server_cpu_ns: u64,
    /// Steal over the batch, all CPUs (see [`crate::rusage::steal_ns`]).
    #[serde(default)]
    pub steal_ns: Option<u64>,
}

impl TimedBatch {
    /// The figures of a batch that verified.
    pub fn of(batch: &Batch) -> TimedBatch {
        TimedBatch {
            wall_ns: batch.wall.as_nanos() as u64,
            cpu_ns: batch.usage.cpu_ns(),
            switches: batch.usage.voluntary + batch.usage.involuntary,
            connections_opened: batch.server.connections_used,
            requests_served: batch.server.requests,
            peak_in_flight: batch.server.peak_in_flight,
            server_cpu_ns: batch.server.cpu_ns,
            steal_ns: batch.steal_ns,
        }
    }
}

/// Samples the thread count every millisecond on its own thread until stopped; its own thread
/// and CPU time are taken out of the figures.
struct Sampler {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<(u64, rusage::Usage)>,
}

impl Sampler {
    fn start() -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut threads = rusage::status().threads;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
                threads = threads.max(rusage::status().threads);
            }
            (threads.saturating_sub(1), rusage::thread())
        });
        Sampler { stop, handle }
    }

    fn finish(self) -> (u64, rusage::Usage) {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or_default()
    }
}

/// Runs one batch with the thread sampler and records its costs.
pub fn measure(
    strategy: &mut dyn Strategy,
    requests: &[Request],
    target: &Target,
) -> Result<(Batch, BatchMetrics), TargetError> {
    let threads_at_start = rusage::status().threads;
    let sampler = Sampler::start();
    let batch = run_batch(strategy, requests, target)?;
    let (peak_threads, sampler_cpu) = sampler.finish();
    let f = batch.server.faults;
    let u = batch.usage;
    let m = BatchMetrics {
        wall_ns: batch.wall.as_nanos() as u64,
        user_ns: u.user_ns.saturating_sub(sampler_cpu.user_ns),
        system_ns: u.system_ns.saturating_sub(sampler_cpu.system_ns),
        voluntary_switches: u.voluntary.saturating_sub(sampler_cpu.voluntary),
        involuntary_switches: u.involuntary.saturating_sub(sampler_cpu.involuntary),
        threads_at_start,
        peak_threads,
        connections_opened: batch.server.connections_used,
        requests_served: batch.server.requests,
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
        verify_error: batch.problem(),
    };
    Ok((batch, m))
}
