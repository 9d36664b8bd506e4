//! Counters a harness reads to learn what a batch did on the wire.
//!
//! Read them with [`crate::ServerHandle::stats`] in-process, or `GET /stats` (JSON) over HTTP;
//! reset them with [`crate::ServerHandle::reset_stats`] or `POST /stats/reset` before a batch to
//! count what that batch alone did (for example the connections it opened).

use crate::cpu::ThreadClocks;
use crate::params::Fault;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

/// A snapshot of the server's counters since the last reset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// TCP connections accepted.
    pub connections_accepted: u64,
    /// Connections that carried at least one `/r/` request (the `/stats` calls are not counted).
    pub connections_used: u64,
    /// Connections open right now (not reset).
    pub connections_open: u64,
    /// `/r/` requests received, whatever they asked for.
    pub requests: u64,
    /// Requests refused with a 400 by the server's own checks.
    pub bad_requests: u64,
    /// Faults injected, by kind.
    pub faults: FaultCounts,
    /// `/r/` requests in progress right now (not reset).
    pub in_flight: u64,
    /// The most `/r/` requests in progress at once since the last reset.
    pub peak_in_flight: u64,
    /// Times accepting a connection failed (out of open files, most often): such a connection
    /// waited in the kernel's queue, so a batch that saw any was slowed by the server.
    #[serde(default)]
    pub accept_errors: u64,
    /// CPU time (user + system) the server's own threads used, in nanoseconds. It includes
    /// serving the reset that started the count and the `/stats` call that read it (a few
    /// microseconds each).
    #[serde(default)]
    pub cpu_ns: u64,
}

/// Faults injected, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultCounts {
    pub status_500: u64,
    pub reset: u64,
    pub stall: u64,
    pub truncated: u64,
}

impl FaultCounts {
    /// The count for one fault kind.
    pub fn get(&self, fault: Fault) -> u64 {
        match fault {
            Fault::Status500 => self.status_500,
            Fault::Reset => self.reset,
            Fault::Stall => self.stall,
            Fault::Truncated => self.truncated,
        }
    }

    /// All faults injected.
    pub fn total(&self) -> u64 {
        Fault::ALL.iter().map(|f| self.get(*f)).sum()
    }
}

#[derive(Default)]
pub(crate) struct Counters {
    connections_accepted: AtomicU64,
    connections_used: AtomicU64,
    connections_open: AtomicU64,
    requests: AtomicU64,
    bad_requests: AtomicU64,
    faults: [AtomicU64; 4],
    in_flight: AtomicU64,
    peak_in_flight: AtomicU64,
    accept_errors: AtomicU64,
    /// The server's threads, whose CPU clocks are read for `cpu_ns`.
    pub(crate) clocks: Arc<ThreadClocks>,
    /// `clocks`' total at the last reset.
    cpu_at_reset_ns: AtomicU64,
}

impl Counters {
    pub(crate) fn connection_opened(&self) {
        self.connections_accepted.fetch_add(1, Relaxed);
        self.connections_open.fetch_add(1, Relaxed);
    }

    pub(crate) fn connection_closed(&self) {
        self.connections_open.fetch_sub(1, Relaxed);
    }

    pub(crate) fn connection_used(&self) {
        self.connections_used.fetch_add(1, Relaxed);
    }

    pub(crate) fn accept_failed(&self) {
        self.accept_errors.fetch_add(1, Relaxed);
    }

    pub(crate) fn bad_request(&self) {
        self.bad_requests.fetch_add(1, Relaxed);
    }

    pub(crate) fn fault(&self, fault: Fault) {
        self.faults[fault as usize].fetch_add(1, Relaxed);
    }

    /// Counts a `/r/` request; it stays in flight until the guard is dropped.
    pub(crate) fn request_started(&self) -> InFlight<'_> {
        self.requests.fetch_add(1, Relaxed);
        let now = self.in_flight.fetch_add(1, Relaxed) + 1;
        self.peak_in_flight.fetch_max(now, Relaxed);
        InFlight(self)
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let f = |i: usize| self.faults[i].load(Relaxed);
        Stats {
            connections_accepted: self.connections_accepted.load(Relaxed),
            connections_used: self.connections_used.load(Relaxed),
            connections_open: self.connections_open.load(Relaxed),
            requests: self.requests.load(Relaxed),
            bad_requests: self.bad_requests.load(Relaxed),
            faults: FaultCounts {
                status_500: f(Fault::Status500 as usize),
                reset: f(Fault::Reset as usize),
                stall: f(Fault::Stall as usize),
                truncated: f(Fault::Truncated as usize),
            },
            in_flight: self.in_flight.load(Relaxed),
            peak_in_flight: self.peak_in_flight.load(Relaxed),
            accept_errors: self.accept_errors.load(Relaxed),
            cpu_ns: self
                .clocks
                .total_ns()
                .saturating_sub(self.cpu_at_reset_ns.load(Relaxed)),
        }
    }

    /// Zeroes the counters of past events; gauges of the present (open, in flight) stay, and the
    /// peak restarts from what is in flight now.
    pub(crate) fn reset(&self) {
        for c in [
            &self.connections_accepted,
            &self.connections_used,
            &self.requests,
            &self.bad_requests,
            &self.accept_errors,
        ] {
            c.store(0, Relaxed);
        }
        for c in &self.faults {
            c.store(0, Relaxed);
        }
        self.peak_in_flight
            .store(self.in_flight.load(Relaxed), Relaxed);
        self.cpu_at_reset_ns.store(self.clocks.total_ns(), Relaxed);
    }
}

/// Marks one request in flight until dropped (also when hyper drops the request's future
/// because its client went away).
pub(crate) struct InFlight<'a>(&'a Counters);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Relaxed);
    }
}
