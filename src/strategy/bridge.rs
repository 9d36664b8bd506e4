//! A synchronous function that runs an async gather and returns its results: how sync code
//! (a web route, a script) calls async code.

use super::{Concurrency, Entry, Family, Info, Strategy};
use crate::fetch::{self, ClientConfig};
use crate::outcome::{ErrorKind, Outcome};
use crate::probe::{beside, Heartbeat};
use crate::workload::Request;
use futures::future::join_all;

pub(super) const ENTRIES: &[Entry] = &[
    Entry {
        info: Info {
            id: "bridge/runtime-per-call",
            family: Family::Bridge,
            description: "each call builds a new multi-thread runtime and client, block_on's the \
                          gather, and tears both down (timed: the setup is the point)",
            mirrors: "`asyncio.run(gather(...))` inside a sync Flask route, with a new \
                      `aiohttp.ClientSession` per call",
            config: "new multi-thread tokio + new reqwest Client per batch; no connection reuse \
                     across batches",
            concurrency: Concurrency::All,
            thread_per_request: false,
        },
        build: |s| Ok(Box::new(RuntimePerCall(s.client))),
    },
    Entry {
        info: Info {
            id: "bridge/shared-runtime",
            family: Family::Bridge,
            description:
                "one long-lived runtime and client; each sync call spawns the gather onto \
                          it and blocks until it is done",
            mirrors: "asgiref `async_to_sync` with one event loop per process",
            config: "one multi-thread tokio runtime, one reqwest Client, reused by every call",
            concurrency: Concurrency::All,
            thread_per_request: false,
        },
        build: |s| {
            Ok(Box::new(SharedRuntime {
                runtime: super::tokio_multi_thread()?,
                client: fetch::reqwest::client(&s.client).map_err(|e| e.to_string())?,
                cpu_work: s.client.cpu_work,
            }))
        },
    },
];

async fn gather(client: reqwest::Client, urls: Vec<String>, cpu_work: u64) -> Vec<Outcome> {
    join_all(
        urls.iter()
            .map(|u| fetch::reqwest::get(&client, u, cpu_work)),
    )
    .await
}

fn everything_failed(n: usize, why: impl std::fmt::Display) -> Vec<Outcome> {
    let why = why.to_string();
    (0..n)
        .map(|_| Outcome::failed(ErrorKind::Other, &why))
        .collect()
}

fn urls(requests: &[Request]) -> Vec<String> {
    requests.iter().map(|r| r.url.clone()).collect()
}

struct RuntimePerCall(ClientConfig);

impl Strategy for RuntimePerCall {
    fn run(&mut self, requests: &[Request], heartbeat: Option<Heartbeat>) -> Vec<Outcome> {
        let runtime = match super::tokio_multi_thread() {
            Ok(r) => r,
            Err(e) => return everything_failed(requests.len(), e),
        };
        let client = match fetch::reqwest::client(&self.0) {
            Ok(c) => c,
            Err(e) => return everything_failed(requests.len(), e),
        };
        runtime.block_on(beside(
            gather(client, urls(requests), self.0.cpu_work),
            heartbeat,
        ))
    }
}

struct SharedRuntime {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    cpu_work: u64,
}

impl Strategy for SharedRuntime {
    fn run(&mut self, requests: &[Request], heartbeat: Option<Heartbeat>) -> Vec<Outcome> {
        // The gather is a task on the workers, so the heartbeat is one too.
        if let Some(h) = heartbeat {
            self.runtime.spawn(h);
        }
        let task = self
            .runtime
            .spawn(gather(self.client.clone(), urls(requests), self.cpu_work));
        match self.runtime.block_on(task) {
            Ok(outcomes) => outcomes,
            Err(e) => everything_failed(requests.len(), e),
        }
    }
}
