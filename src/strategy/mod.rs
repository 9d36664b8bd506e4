//! Every way to fetch N URLs that the benches compare, one family per file, all in one registry.
//!
//! A strategy takes the prepared requests and returns one outcome per request, in order, from a
//! synchronous caller (the benches and the CLI are sync code). Building it does the setup
//! (runtimes, clients, agents, pools) outside the timed region, except where setup is what the
//! strategy measures (`bridge/runtime-per-call`). Ids are `family/name` and stable: they key
//! charts and CI history, so renaming one is a breaking change.

mod antipattern;
mod bridge;
mod gather;
mod offload;
pub mod python;
mod sequential;
mod threads;

use crate::fetch::ClientConfig;
use crate::outcome::Outcome;
use crate::probe::Heartbeat;
use crate::workload::{Request, Workload};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// Runs one batch of requests.
pub trait Strategy: Send {
    /// Fetches every request and returns one outcome per request, in the requests' order.
    ///
    /// `heartbeat` is given in a probe batch only (see [`crate::probe`]): a strategy that runs
    /// an executor polls it where it polls its requests (beside them in `block_on`, or spawned
    /// as a task where its requests are tasks); one without an executor drops it.
    fn run(&mut self, requests: &[Request], heartbeat: Option<Heartbeat>) -> Vec<Outcome>;

    /// What the last batch measured itself, for a strategy that runs in a process of its own
    /// (a Python peer); the harness uses it in place of its own clocks. `None` for the rest.
    fn measured(&mut self) -> Option<Measured> {
        None
    }
}

/// A batch measured by the process that ran it: its wall time, and that process's CPU time and
/// context switches over the batch alone.
#[derive(Clone, Copy, Debug)]
pub struct Measured {
    pub wall: Duration,
    pub usage: crate::rusage::Usage,
}

/// The strategy families (in legend order).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Sequential,
    Threads,
    Offload,
    Gather,
    Bridge,
    Antipattern,
    /// The Python patterns themselves (`fanout peers`), never part of `cargo bench`.
    Python,
}

impl Family {
    /// Every family, in legend order.
    pub const ALL: [Family; 7] = [
        Family::Sequential,
        Family::Threads,
        Family::Offload,
        Family::Gather,
        Family::Bridge,
        Family::Antipattern,
        Family::Python,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Sequential => "sequential",
            Family::Threads => "threads",
            Family::Offload => "offload",
            Family::Gather => "gather",
            Family::Bridge => "bridge",
            Family::Antipattern => "antipattern",
            Family::Python => "python",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many requests a strategy can have in flight at once: what its floor is computed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "n")]
pub enum Concurrency {
    /// One at a time.
    One,
    /// The workload's `concurrency` (K).
    K,
    /// As many as the machine's cores (a pool sized for CPU work).
    Cores,
    /// The `blocking` crate's pool (async-std and smol): at most `BLOCKING_MAX_THREADS`
    /// threads, 500 unless that variable says otherwise.
    BlockingPool,
    /// All N at once.
    All,
    /// Python's default thread pool: min(32, cores + 4) threads.
    PythonPool,
    /// A fixed limit (aiohttp's connector: 100 connections).
    Fixed(usize),
}

impl Concurrency {
    /// The concurrency limit for `workload` on this machine; `None` means unbounded.
    pub fn limit(self, workload: &Workload) -> Option<usize> {
        match self {
            Concurrency::One => Some(1),
            Concurrency::K => Some(workload.concurrency),
            Concurrency::Cores => Some(cores()),
            Concurrency::BlockingPool => Some(blocking_pool_size()),
            Concurrency::All => None,
            Concurrency::PythonPool => Some(32.min(cores() + 4)),
            Concurrency::Fixed(n) => Some(n),
        }
    }
}

/// The machine's available parallelism, as runtimes and pools see it.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The thread cap of the `blocking` crate's pool, read as that crate reads it.
pub fn blocking_pool_size() -> usize {
    std::env::var("BLOCKING_MAX_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| (1..=10_000).contains(n))
        .unwrap_or(500)
}

/// What a strategy is, for listings, tables and charts.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Info {
    /// `family/name`, stable.
    pub id: &'static str,
    pub family: Family,
    /// What it does, in one line.
    pub description: &'static str,
    /// The Python pattern it mirrors.
    pub mirrors: &'static str,
    /// How it is configured, in one line.
    pub config: &'static str,
    /// How many requests it can have in flight.
    pub concurrency: Concurrency,
    /// Whether it starts one OS thread per request (so N is bounded by the thread limit).
    pub thread_per_request: bool,
}

/// What a strategy is built with, from the workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub client: ClientConfig,
    /// K, for the strategies that limit concurrency.
    pub k: usize,
    /// N, the batch size: pools that must not cap concurrency are sized to it.
    pub requests: usize,
}

impl Settings {
    pub fn for_workload(w: &Workload) -> Settings {
        Settings {
            client: ClientConfig {
                timeout: w.timeout(),
                idle_per_host: w.requests.max(1),
                cpu_work: w.cpu_work,
            },
            k: w.concurrency,
            requests: w.requests,
        }
    }
}

/// A strategy could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up {id}: {reason}")]
pub struct BuildError {
    pub id: &'static str,
    pub reason: String,
}

type Build = fn(&Settings) -> Result<Box<dyn Strategy>, String>;

/// One registered strategy.
#[derive(Clone, Debug)]
pub struct Entry {
    pub info: Info,
    pub(crate) build: Build,
}

impl Entry {
    /// Sets the strategy up (runtimes, clients, pools) for these settings.
    pub fn build(&self, settings: &Settings) -> Result<Box<dyn Strategy>, BuildError> {
        let built = (self.build)(settings).map_err(|reason| BuildError {
            id: self.info.id,
            reason,
        })?;
        Ok(match slowdown(self.info.id) {
            Some(delay) => Box::new(Slowed(built, delay)),
            None => built,
        })
    }
}

/// The test-only switch that makes one strategy slower on purpose, so a test can check that
/// `fanout compare` flags a real regression: `FANOUT_TEST_SLOWDOWN=ID:MS` adds MS milliseconds
/// to every batch of strategy ID. Never set it for a published run.
pub const SLOWDOWN_ENV: &str = "FANOUT_TEST_SLOWDOWN";

fn slowdown(id: &str) -> Option<Duration> {
    let v = std::env::var(SLOWDOWN_ENV).ok()?;
    let (target, ms) = v.rsplit_once(':')?;
    let ms: u64 = ms.parse().ok()?;
    (target == id).then(|| Duration::from_millis(ms))
}

struct Slowed(Box<dyn Strategy>, Duration);

impl Strategy for Slowed {
    fn run(&mut self, requests: &[Request], heartbeat: Option<Heartbeat>) -> Vec<Outcome> {
        std::thread::sleep(self.1);
        self.0.run(requests, heartbeat)
    }

    fn measured(&mut self) -> Option<Measured> {
        self.0.measured()
    }
}

/// Every strategy, in the order the report lists them.
pub fn registry() -> Vec<Entry> {
    [
        sequential::ENTRIES,
        threads::ENTRIES,
        offload::ENTRIES,
        gather::ENTRIES,
        bridge::ENTRIES,
        antipattern::ENTRIES,
    ]
    .concat()
}

/// The Python peers (`fanout peers`), in report order.
pub fn peers() -> Vec<Entry> {
    python::PEERS.iter().map(|(e, _)| e.clone()).collect()
}

/// A strategy or a Python peer by id.
pub fn find(id: &str) -> Option<Entry> {
    registry()
        .into_iter()
        .chain(peers())
        .find(|e| e.info.id == id)
}

/// A selector that matched no strategy.
#[derive(Debug, thiserror::Error)]
#[error("no strategy matches {selector:?}; the strategies are: {}", known.join(", "))]
pub struct NoMatch {
    pub selector: String,
    pub known: Vec<String>,
}

/// The strategies matching any of the comma-separated selectors (an id, or a glob with `*`,
/// such as `gather/*`), in registry order.
pub fn select(selectors: &str) -> Result<Vec<Entry>, NoMatch> {
    select_in(registry(), selectors)
}

/// The Python peers matching the selectors, as [`select`] does for the strategies.
pub fn select_peers(selectors: &str) -> Result<Vec<Entry>, NoMatch> {
    select_in(peers(), selectors)
}

fn select_in(all: Vec<Entry>, selectors: &str) -> Result<Vec<Entry>, NoMatch> {
    crate::select::select(all, |e| e.info.id, selectors).map_err(|u| NoMatch {
        selector: u.selector,
        known: u.known,
    })
}

/// A tokio runtime with one worker per core, as tokio's default `#[tokio::main]` would build.
fn tokio_multi_thread() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio multi-thread runtime: {e}"))
}

/// A tokio runtime on the calling thread only, like asyncio's loop.
fn tokio_current_thread() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio current-thread runtime: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::select::glob_match;

    #[test]
    fn globs_match_as_documented() {
        assert!(glob_match("gather/*", "gather/tokio-join-all"));
        assert!(glob_match("*hyper", "gather/smol-hyper"));
        assert!(glob_match("*/*", "threads/pool-k"));
        assert!(!glob_match("gather/*", "bridge/shared-runtime"));
        assert!(glob_match("threads/pool-k", "threads/pool-k"));
        assert!(!glob_match("threads/pool", "threads/pool-k"));
    }

    #[test]
    fn ids_are_unique_and_well_formed() {
        let all = registry();
        let mut ids: Vec<&str> = all.iter().map(|e| e.info.id).collect();
        for e in &all {
            let (family, name) = e.info.id.split_once('/').expect("family/name");
            assert_eq!(family, e.info.family.as_str(), "{}", e.info.id);
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            );
            assert!(
                !e.info.description.is_empty()
                    && !e.info.mirrors.is_empty()
                    && !e.info.config.is_empty()
            );
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
    }

    #[test]
    fn selectors_that_match_nothing_list_what_exists() {
        let err = select("gather/*,nope/*").unwrap_err().to_string();
        assert!(
            err.contains("\"nope/*\"") && err.contains("sequential/ureq"),
            "{err}"
        );
        assert_eq!(select("bridge/*").unwrap().len(), 2);
    }
}
