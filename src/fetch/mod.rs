//! One request, fetched the way each client library is normally used, turned into an
//! [`Outcome`](crate::Outcome). Strategies combine these with runtimes and pools; keeping the
//! per-library code here means every strategy on the same library fetches and classifies errors
//! identically, so differences between strategies are the concurrency model's alone.
//!
//! Errors are classified by phase, the same way for every library: a failure before a response
//! head is `connect` (no TCP connection) or `reset` (the connection died); after the head it is
//! `truncated`; the workload's timeout (which covers head and body) is `timeout`.

pub mod hyper;
pub mod reqwest;
pub mod ureq;

use std::time::Duration;

/// What every client is configured with, from the workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// The total time one request may take, head and body.
    pub timeout: Duration,
    /// Idle connections the client keeps per host: enough for the whole batch.
    pub idle_per_host: usize,
    /// Rounds of per-response processing after each body is read.
    pub cpu_work: u64,
}

/// An error's text, with what it means when the machine's limits caused it (EADDRNOTAVAIL,
/// EMFILE), found anywhere in its source chain.
pub(crate) fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    match crate::limits::os_error(e).and_then(crate::limits::explain_connect) {
        Some(hint) => format!("{e} ({hint})"),
        None => e.to_string(),
    }
}
