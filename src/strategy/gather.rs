//! Async clients with every request in flight at once (or K at a time), gathered: the way
//! async code is meant to fetch many URLs.
//!
//! Where the futures are polled matters on a multi-thread tokio runtime: a future given to
//! `block_on` runs on the calling thread, not on a worker. So `join_all` inside `block_on` polls
//! every request from that one thread (the workers only run the connection tasks), while
//! `JoinSet` spawns each request onto the workers. Both are kept, and named for it.

use super::{Concurrency, Entry, Family, Info, Strategy};
use crate::fetch;
use crate::fetch::hyper::{FuturesConnector, PooledClient};
use crate::outcome::{ErrorKind, Outcome};
use crate::probe::{beside, Heartbeat};
use crate::workload::Request;
use futures::future::join_all;
use futures::StreamExt;
use hyper_util::client::legacy::connect::HttpConnector;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

pub(super) const ENTRIES: &[Entry] = &[
    Entry {
        info: Info {
            id: "gather/tokio-join-all",
            family: Family::Gather,
            description: "multi-thread tokio, one reqwest Client, join_all inside block_on \
                          (every request polled from the calling thread)",
            mirrors:
                "`asyncio.gather(*(session.get(u) for u in urls))` with one `aiohttp.ClientSession`",
            config: "multi-thread tokio (one worker per core), one reqwest Client, unbounded pool",
            concurrency: Concurrency::All,
            thread_per_request: false,
        },
        build: |s| reqwest(s, super::tokio_multi_thread(), Mode::JoinAll),
    },
    Entry {
        info: Info {
            id: "gather/tokio-current-thread",
            family: Family::Gather,
            description: "current-thread tokio, one reqwest Client, join_all",
            mirrors: "asyncio's own single-threaded event loop with `gather`",
            config: "current-thread tokio, one reqwest Client",
            concurrency: Concurrency::All,
            thread_per_request: false,
        },
        build: |s| reqwest(s, super::tokio_current_thread(), Mode::JoinAll),
    },
    Entry {
        info: Info {
            id: "gather/tokio-joinset",
            family: Family::Gather,
            description: "every request spawned as a task into a JoinSet, then all awaited",
            mirrors: "`asyncio.create_task(...)` per URL, then await them all",
            config: "multi-thread tokio (requests run on the workers), one reqwest Client",
            concurrency: Concurrency::All,
            thread_per_request: false,
        },
        build: |s| reqwest(s, super::tokio_multi_thread(), Mode::JoinSet),
    },
    Entry {
        info: Info {
            id: "gather/tokio-buffer-unordered-k",
            family: Family::Gather,
            description: "a stream of requests with buffer_unordered(K): at most K in flight",
            mirrors: "gather limited by `asyncio.Semaphore(K)`",
            config: "multi-thread tokio, one reqwest Client, K = the workload's concurrency",
            concurrency: Concurrency::K,
            thread_per_request: false,
        },
        build: |s| reqwest(s, super::tokio_multi_thread(), Mode::BufferUnordered(s.k)),
    },
    Entry {
        info: Info {
            id: "gather/tokio-hyper",
            family: Family::Gather,
            description: "multi-thread tokio, hyper-util's pooled client, join_all",
            mirrors:
                "`asyncio.gather` with a lower-level client: isolates runtime from client library",
            config:
                "multi-thread tokio, hyper-util legacy Client (keep-alive, pool of N), TCP_NODELAY",
            concurrency: Concurrency::All,
            thread_per_request: false,
        },
        build: |s| {
            Ok(Box::new(TokioHyper {
                runtime: super::tokio_multi_thread()?,
                client: fetch::hyper::tokio_client(&s.client),
                timeout: s.client.timeout,
                cpu_work: s.client.cpu_work,
            }))
        },
    },
    Entry {
        info: Info {
            id: "gather/async-std-hyper",
            family: Family::Gather,
            description: "async-std, the same pooled hyper client, join_all (async-std is \
                          deprecated upstream in favour of smol; kept for comparison)",
            mirrors: "`asyncio.gather` on another runtime",
            config: "async-std's global runtime (one worker per core), hyper-util legacy Client, \
                     async-io timer",
            concurrency: Concurrency::All,
            thread_per_request: false,
        },
        build: |s| {
            Ok(Box::new(AsyncStdHyper {
                client: fetch::hyper::futures_client(
                    fetch::hyper::AsyncStdExecutor,
                    fetch::hyper::async_std_connect,
                    &s.client,
                ),
                timeout: s.client.timeout,
                cpu_work: s.client.cpu_work,
            }))
        },
    },
    Entry {
        info: Info {
            id: "gather/smol-hyper",
            family: Family::Gather,
            description: "smol, the same pooled hyper client, join_all",
            mirrors: "`asyncio.gather` on smol",
            config: "a smol Executor run by one thread per core, hyper-util legacy Client via \
                     smol-hyper, async-io timer",
            concurrency: Concurrency::All,
            thread_per_request: false,
        },
        build: |s| SmolHyper::new(s).map(|b| Box::new(b) as Box<dyn Strategy>),
    },
];

/// A reqwest strategy on the given runtime, polling the requests as `mode` says.
fn reqwest(
    s: &super::Settings,
    runtime: Result<tokio::runtime::Runtime, String>,
    mode: Mode,
) -> Result<Box<dyn Strategy>, String> {
    Ok(Box::new(Reqwest {
        runtime: runtime?,
        client: fetch::reqwest::client(&s.client).map_err(|e| e.to_string())?,
        cpu_work: s.client.cpu_work,
        mode,
    }))
}

enum Mode {
    JoinAll,
    JoinSet,
    BufferUnordered(usize),
}

struct Reqwest {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    cpu_work: u64,
    mode: Mode,
}

impl Strategy for Reqwest {
    fn run(&mut self, requests: &[Request], heartbeat: Option<Heartbeat>) -> Vec<Outcome> {
        let (client, w) = (&self.client, self.cpu_work);
        match self.mode {
            Mode::JoinAll => self.runtime.block_on(beside(
                join_all(
                    requests
                        .iter()
                        .map(|r| fetch::reqwest::get(client, &r.url, w)),
                ),
                heartbeat,
            )),
            Mode::JoinSet => self.runtime.block_on(async {
                // The requests are tasks on the workers, so the heartbeat is one too.
                if let Some(h) = heartbeat {
                    tokio::spawn(h);
                }
                let mut set = tokio::task::JoinSet::new();
                for r in requests {
                    let (client, url, i) = (client.clone(), r.url.clone(), r.index);
                    set.spawn(async move { (i, fetch::reqwest::get(&client, &url, w).await) });
                }
                in_order(requests.len(), set.join_all().await)
            }),
            Mode::BufferUnordered(k) => self.runtime.block_on(beside(
                async {
                    let done =
                        futures::stream::iter(requests)
                            .map(|r| async move {
                                (r.index, fetch::reqwest::get(client, &r.url, w).await)
                            })
                            .buffer_unordered(k)
                            .collect::<Vec<_>>()
                            .await;
                    in_order(requests.len(), done)
                },
                heartbeat,
            )),
        }
    }
}

/// Puts `(index, outcome)` pairs back in request order; a missing index becomes an error.
pub(super) fn in_order(n: usize, done: Vec<(usize, Outcome)>) -> Vec<Outcome> {
    let mut slots: Vec<Option<Outcome>> = vec![None; n];
    for (i, o) in done {
        if let Some(slot) = slots.get_mut(i) {
            *slot = Some(o);
        }
    }
    slots
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Outcome::failed(ErrorKind::Other, "the task was lost")))
        .collect()
}

struct TokioHyper {
    runtime: tokio::runtime::Runtime,
    client: PooledClient<HttpConnector>,
    timeout: Duration,
    cpu_work: u64,
}

impl Strategy for TokioHyper {
    fn run(&mut self, requests: &[Request], heartbeat: Option<Heartbeat>) -> Vec<Outcome> {
        let (client, w, t) = (&self.client, self.cpu_work, self.timeout);
        // Inside the runtime: tokio's sleep needs its context when it is made.
        self.runtime.block_on(async {
            let batch = join_all(
                requests
                    .iter()
                    .map(|r| fetch::hyper::get(client, &r.url, w, tokio::time::sleep(t))),
            );
            beside(batch, heartbeat).await
        })
    }
}

struct AsyncStdHyper {
    client: PooledClient<FuturesConnector<async_std::net::TcpStream>>,
    timeout: Duration,
    cpu_work: u64,
}

impl Strategy for AsyncStdHyper {
    fn run(&mut self, requests: &[Request], heartbeat: Option<Heartbeat>) -> Vec<Outcome> {
        let (client, w, t) = (&self.client, self.cpu_work, self.timeout);
        async_std::task::block_on(beside(
            join_all(
                requests
                    .iter()
                    .map(|r| fetch::hyper::get(client, &r.url, w, async_std::task::sleep(t))),
            ),
            heartbeat,
        ))
    }
}

/// smol has no runtime object: an `Executor` runs wherever a thread calls `run`. This one is
/// run by one thread per core (like tokio's and async-std's workers) until the strategy drops.
struct SmolHyper {
    client: PooledClient<FuturesConnector<smol::net::TcpStream>>,
    timeout: Duration,
    cpu_work: u64,
    stop: Option<smol::channel::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl SmolHyper {
    fn new(s: &super::Settings) -> Result<SmolHyper, String> {
        let executor = Arc::new(smol::Executor::new());
        let (stop, stopped) = smol::channel::bounded::<()>(1);
        let mut threads = Vec::new();
        for i in 0..super::cores() {
            let (ex, stopped) = (executor.clone(), stopped.clone());
            let t = std::thread::Builder::new()
                .name(format!("smol-{i}"))
                .spawn(move || smol::block_on(ex.run(stopped.recv())).unwrap_or_default())
                .map_err(|e| format!("smol executor thread: {e}"))?;
            threads.push(t);
        }
        let client = fetch::hyper::futures_client(
            smol_hyper::rt::SmolExecutor::new(executor),
            fetch::hyper::smol_connect,
            &s.client,
        );
        Ok(SmolHyper {
            client,
            timeout: s.client.timeout,
            cpu_work: s.client.cpu_work,
            stop: Some(stop),
            threads,
        })
    }
}

impl Strategy for SmolHyper {
    fn run(&mut self, requests: &[Request], heartbeat: Option<Heartbeat>) -> Vec<Outcome> {
        let (client, w, t) = (&self.client, self.cpu_work, self.timeout);
        smol::block_on(beside(
            join_all(
                requests
                    .iter()
                    .map(|r| fetch::hyper::get(client, &r.url, w, smol::Timer::after(t))),
            ),
            heartbeat,
        ))
    }
}

impl Drop for SmolHyper {
    fn drop(&mut self) {
        drop(self.stop.take());
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
