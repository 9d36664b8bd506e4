//! One batch of one strategy against a target: timed, verified and counted. This is what the
//! benches time, what `fanout run` prints, and what the metrics pass records.

use crate::outcome::{verify, Class, Outcome, VerifyError};
use crate::probe::{self, ProbeRecord};
use crate::rusage::{self, Usage};
use crate::strategy::Strategy;
use crate::target::{Target, TargetError};
use crate::workload::Request;
use mock_server::Stats;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// What one batch came to.
#[derive(Debug)]
pub struct Batch {
    pub wall: Duration,
    pub outcomes: Vec<Outcome>,
    /// `Ok` only if every outcome is what the workload planned.
    pub verified: Result<(), VerifyError>,
    /// The server's counters for this batch alone.
    pub server: Stats,
    /// The client process's CPU time and context switches over the batch alone (the calls
    /// that read and reset the server's counters fall outside it).
    pub usage: Usage,
    /// Requests the batch was planned to send.
    pub planned: usize,
    /// CPU time the hypervisor gave to other machines during the batch, over all CPUs (read
    /// around the batch, so within 10 ms).
    pub steal_ns: Option<u64>,
}

impl Batch {
    /// Why this batch cannot be published, if it cannot: an outcome that differs from the plan,
    /// or a server that could not keep up (which comes first, being the likely cause).
    pub fn problem(&self) -> Option<String> {
        let trouble = server_trouble(&self.server).or_else(|| self.miscounted());
        match (&self.verified, trouble) {
            (Ok(()), trouble) => trouble,
            (Err(e), None) => Some(format!("the batch did not verify: {e}")),
            (Err(e), Some(trouble)) => Some(format!("{trouble}; the batch did not verify: {e}")),
        }
    }

    /// Why the server's request count differs from the plan, if it does: a request sent twice
    /// (a client's retry) or never sent would make the batch measure other work than planned.
    fn miscounted(&self) -> Option<String> {
        let counted = self.server.requests;
        (counted != self.planned as u64).then(|| {
            format!(
                "the server received {counted} requests for the {} planned (a request sent twice, \
                 e.g. a client's retry, or one never sent)",
                self.planned
            )
        })
    }

    /// Outcomes counted by class (`ok`, `status_500`, `reset`, ...).
    pub fn classes(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for o in &self.outcomes {
            *m.entry(o.class().to_string()).or_insert(0) += 1;
        }
        m
    }
}

/// Why a batch's time says more about the server than the strategy, if it does: connections the
/// server could not accept (out of open files) waited in the kernel's queue, and the requests on
/// them finished late, failed, or were retried, whatever the strategy did.
pub fn server_trouble(server: &Stats) -> Option<String> {
    (server.accept_errors > 0).then(|| {
        format!(
            "the mock server failed to accept a connection {} times (out of open files, most \
             likely: see its message on stderr), so connections waited in the kernel's queue; \
             raise the open-files limit (`ulimit -n`) or lower `requests`",
            server.accept_errors
        )
    })
}

/// Requests that did not come back as a 200.
pub fn errors(outcomes: &[Outcome]) -> usize {
    outcomes.iter().filter(|o| o.class() != Class::Ok).count()
}

/// Runs one batch with the server's counters reset before it. Only `strategy.run` is inside the
/// timed region; the CPU window closes around it as tightly, and the server's counters are reset
/// before it opens and read after it closes.
pub fn run_batch(
    strategy: &mut dyn Strategy,
    requests: &[Request],
    target: &Target,
) -> Result<Batch, TargetError> {
    run(strategy, requests, target, false).map(|(batch, _)| batch)
}

/// Runs one probe batch (see [`crate::probe`]): the same batch, with its requests' spans, its
/// executor's heartbeat and its allocations recorded around `strategy.run` alone. Its time is
/// never published.
pub fn run_probe_batch(
    strategy: &mut dyn Strategy,
    requests: &[Request],
    target: &Target,
) -> Result<(Batch, ProbeRecord), TargetError> {
    let (batch, probe) = run(strategy, requests, target, true)?;
    Ok((batch, probe.unwrap_or_default()))
}

fn run(
    strategy: &mut dyn Strategy,
    requests: &[Request],
    target: &Target,
    probed: bool,
) -> Result<(Batch, Option<ProbeRecord>), TargetError> {
    target.reset_stats()?;
    let steal_before = rusage::steal_ns();
    let before = rusage::process();
    let mut session = probed.then(|| probe::Session::start(requests.iter().map(|r| &*r.url)));
    let heartbeat = session.as_mut().and_then(probe::Session::heartbeat);
    let started = Instant::now();
    let outcomes = strategy.run(requests, heartbeat);
    let mut wall = started.elapsed();
    let probe = session.map(probe::Session::finish);
    let mut usage = rusage::process().since(before);
    // A strategy in a process of its own (a Python peer) measured the batch there.
    if let Some(m) = strategy.measured() {
        wall = m.wall;
        usage = m.usage;
    }
    let steal_ns = rusage::steal_since(steal_before);
    let server = target.stats()?;
    let expected: Vec<_> = requests.iter().map(|r| r.expected).collect();
    let verified = verify(&expected, &outcomes);
    let batch = Batch {
        wall,
        outcomes,
        verified,
        server,
        usage,
        planned: requests.len(),
        steal_ns,
    };
    Ok((batch, probe))
}
