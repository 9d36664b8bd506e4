//! A blocking client run from async code by handing each call to a thread pool, then gathering
//! the futures: how sync libraries are usually called from an event loop.

use super::{Concurrency, Entry, Family, Info, Strategy};
use crate::fetch;
use crate::outcome::{ErrorKind, Outcome};
use crate::probe::{beside, Heartbeat};
use crate::workload::Request;
use futures::future::join_all;
use std::sync::mpsc;
use std::thread::JoinHandle;

pub(super) const ENTRIES: &[Entry] = &[
    Entry {
        info: Info {
            id: "offload/tokio-spawn-blocking",
            family: Family::Offload,
            description: "tokio spawn_blocking(ureq call) per URL, gathered with join_all",
            mirrors: "`asyncio.to_thread`, `loop.run_in_executor(None, f)`, \
                      `sync_to_async(thread_sensitive=False)`",
            config:
                "multi-thread tokio; blocking pool raised to at least N threads so it does not cap",
            concurrency: Concurrency::All,
            thread_per_request: true,
        },
        build: |s| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .max_blocking_threads(s.requests.max(512))
                .enable_all()
                .build()
                .map_err(|e| format!("tokio runtime: {e}"))?;
            Ok(Box::new(TokioSpawnBlocking {
                runtime,
                agent: fetch::ureq::agent(&s.client),
                cpu_work: s.client.cpu_work,
            }))
        },
    },
    Entry {
        info: Info {
            id: "offload/async-std-spawn-blocking",
            family: Family::Offload,
            description: "async-std spawn_blocking(ureq call) per URL, gathered (async-std is \
                          deprecated upstream in favour of smol; kept for comparison)",
            mirrors: "`loop.run_in_executor(None, f)` on another runtime",
            config: "async-std's global runtime; its blocking pool is the `blocking` crate's \
                     (at most BLOCKING_MAX_THREADS, default 500)",
            concurrency: Concurrency::BlockingPool,
            thread_per_request: false,
        },
        build: |s| {
            Ok(Box::new(AsyncStdSpawnBlocking {
                agent: fetch::ureq::agent(&s.client),
                cpu_work: s.client.cpu_work,
            }))
        },
    },
    Entry {
        info: Info {
            id: "offload/smol-unblock",
            family: Family::Offload,
            description: "smol with blocking::unblock(ureq call) per URL, gathered",
            mirrors: "`asyncio.to_thread` on smol",
            config: "smol::block_on; the `blocking` crate's pool (at most BLOCKING_MAX_THREADS, \
                     default 500)",
            concurrency: Concurrency::BlockingPool,
            thread_per_request: false,
        },
        build: |s| {
            Ok(Box::new(SmolUnblock {
                agent: fetch::ureq::agent(&s.client),
                cpu_work: s.client.cpu_work,
            }))
        },
    },
    Entry {
        info: Info {
            id: "offload/single-thread",
            family: Family::Offload,
            description: "every blocking call sent to one dedicated thread, the futures gathered",
            mirrors: "asgiref `sync_to_async` with its default `thread_sensitive=True`, which \
                      serialises every call on one thread",
            config: "multi-thread tokio; one worker thread with a queue; one Agent",
            concurrency: Concurrency::One,
            thread_per_request: false,
        },
        build: |s| {
            let runtime = super::tokio_multi_thread()?;
            let (jobs, queue) = mpsc::channel::<Job>();
            let agent = fetch::ureq::agent(&s.client);
            let cpu_work = s.client.cpu_work;
            let worker = std::thread::Builder::new()
                .name("sync-to-async".into())
                .spawn(move || {
                    for (url, reply) in queue {
                        let _ = reply.send(fetch::ureq::get(&agent, &url, cpu_work));
                    }
                })
                .map_err(|e| format!("the dedicated thread: {e}"))?;
            Ok(Box::new(SingleThread {
                runtime,
                jobs: Some(jobs),
                worker: Some(worker),
            }))
        },
    },
];

fn join_failed(e: impl std::fmt::Display) -> Outcome {
    Outcome::failed(ErrorKind::Other, format!("the offloaded call failed: {e}"))
}

struct TokioSpawnBlocking {
    runtime: tokio::runtime::Runtime,
    agent: ureq::Agent,
    cpu_work: u64,
}

impl Strategy for TokioSpawnBlocking {
    fn run(&mut self, requests: &[Request], heartbeat: Option<Heartbeat>) -> Vec<Outcome> {
        let (agent, w) = (&self.agent, self.cpu_work);
        // Inside the runtime: spawn_blocking needs its context.
        self.runtime.block_on(async {
            beside(
                join_all(requests.iter().map(|r| {
                    let (agent, url) = (agent.clone(), r.url.clone());
                    let task =
                        tokio::task::spawn_blocking(move || fetch::ureq::get(&agent, &url, w));
                    async move { task.await.unwrap_or_else(join_failed) }
                })),
                heartbeat,
            )
            .await
        })
    }
}

struct AsyncStdSpawnBlocking {
    agent: ureq::Agent,
    cpu_work: u64,
}

impl Strategy for AsyncStdSpawnBlocking {
    fn run(&mut self, requests: &[Request], heartbeat: Option<Heartbeat>) -> Vec<Outcome> {
        async_std::task::block_on(beside(
            join_all(requests.iter().map(|r| {
                let (agent, url, w) = (self.agent.clone(), r.url.clone(), self.cpu_work);
                async_std::task::spawn_blocking(move || fetch::ureq::get(&agent, &url, w))
            })),
            heartbeat,
        ))
    }
}

struct SmolUnblock {
    agent: ureq::Agent,
    cpu_work: u64,
}

impl Strategy for SmolUnblock {
    fn run(&mut self, requests: &[Request], heartbeat: Option<Heartbeat>) -> Vec<Outcome> {
        smol::block_on(beside(
            join_all(requests.iter().map(|r| {
                let (agent, url, w) = (self.agent.clone(), r.url.clone(), self.cpu_work);
                blocking::unblock(move || fetch::ureq::get(&agent, &url, w))
            })),
            heartbeat,
        ))
    }
}

type Job = (String, futures::channel::oneshot::Sender<Outcome>);

struct SingleThread {
    runtime: tokio::runtime::Runtime,
    jobs: Option<mpsc::Sender<Job>>,
    worker: Option<JoinHandle<()>>,
}

impl Strategy for SingleThread {
    fn run(&mut self, requests: &[Request], heartbeat: Option<Heartbeat>) -> Vec<Outcome> {
        let jobs = self
            .jobs
            .as_ref()
            .expect("the queue lives as long as the strategy");
        self.runtime.block_on(beside(
            join_all(requests.iter().map(|r| {
                let (reply, answer) = futures::channel::oneshot::channel();
                let sent = jobs.send((r.url.clone(), reply));
                async move {
                    match sent {
                        Ok(()) => answer.await.unwrap_or_else(join_failed),
                        Err(e) => join_failed(e),
                    }
                }
            })),
            heartbeat,
        ))
    }
}

impl Drop for SingleThread {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}
