//! One request at a time: the baseline every concurrent strategy is measured against.

use super::{Concurrency, Entry, Family, Info, Strategy};
use crate::fetch;
use crate::outcome::Outcome;
use crate::probe::{beside, Heartbeat};
use crate::workload::Request;

pub(super) const ENTRIES: &[Entry] = &[
    Entry {
        info: Info {
            id: "sequential/ureq",
            family: Family::Sequential,
            description: "one ureq Agent, requests in a plain loop",
            mirrors: "`requests.Session()` in a for loop",
            config: "one Agent, keep-alive, idle pool of N",
            concurrency: Concurrency::One,
            thread_per_request: false,
        },
        build: |s| {
            Ok(Box::new(Ureq(
                fetch::ureq::agent(&s.client),
                s.client.cpu_work,
            )))
        },
    },
    Entry {
        info: Info {
            id: "sequential/reqwest-blocking",
            family: Family::Sequential,
            description: "reqwest::blocking client in a loop; each call is forwarded to one \
                          internal thread running its own tokio runtime",
            mirrors: "`requests` in a loop, through a hidden sync-to-async bridge",
            config: "one blocking Client (its own runtime thread inside), keep-alive",
            concurrency: Concurrency::One,
            thread_per_request: false,
        },
        build: |s| {
            let client = fetch::reqwest::blocking_client(&s.client).map_err(|e| e.to_string())?;
            Ok(Box::new(ReqwestBlocking(client, s.client.cpu_work)))
        },
    },
    Entry {
        info: Info {
            id: "sequential/await-in-loop",
            family: Family::Sequential,
            description: "async reqwest, each request awaited before the next is sent",
            mirrors: "`for url in urls: await session.get(url)`: forgetting to gather",
            config: "multi-thread tokio (one worker per core), one reqwest Client",
            concurrency: Concurrency::One,
            thread_per_request: false,
        },
        build: |s| {
            let runtime = super::tokio_multi_thread()?;
            let client = fetch::reqwest::client(&s.client).map_err(|e| e.to_string())?;
            Ok(Box::new(AwaitInLoop {
                runtime,
                client,
                cpu_work: s.client.cpu_work,
            }))
        },
    },
];

struct Ureq(ureq::Agent, u64);

impl Strategy for Ureq {
    fn run(&mut self, requests: &[Request], _: Option<Heartbeat>) -> Vec<Outcome> {
        requests
            .iter()
            .map(|r| fetch::ureq::get(&self.0, &r.url, self.1))
            .collect()
    }
}

struct ReqwestBlocking(reqwest::blocking::Client, u64);

impl Strategy for ReqwestBlocking {
    fn run(&mut self, requests: &[Request], _: Option<Heartbeat>) -> Vec<Outcome> {
        requests
            .iter()
            .map(|r| fetch::reqwest::get_blocking(&self.0, &r.url, self.1))
            .collect()
    }
}

struct AwaitInLoop {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    cpu_work: u64,
}

impl Strategy for AwaitInLoop {
    fn run(&mut self, requests: &[Request], heartbeat: Option<Heartbeat>) -> Vec<Outcome> {
        self.runtime.block_on(beside(
            async {
                let mut out = Vec::with_capacity(requests.len());
                for r in requests {
                    out.push(fetch::reqwest::get(&self.client, &r.url, self.cpu_work).await);
                }
                out
            },
            heartbeat,
        ))
    }
}
