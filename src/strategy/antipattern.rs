//! The classic mistakes, measured so their cost is a number and not a warning.

use super::{Concurrency, Entry, Family, Info, Strategy};
use crate::fetch;
use crate::outcome::Outcome;
use crate::probe::Heartbeat;
use crate::workload::Request;

pub(super) const ENTRIES: &[Entry] = &[Entry {
    info: Info {
        id: "antipattern/blocking-in-async",
        family: Family::Antipattern,
        description: "a blocking ureq call made directly inside async tasks on a current-thread \
                      runtime: each call blocks the only thread, so the tasks run one by one",
        mirrors: "calling `requests.get` inside `async def` tasks: \"sync from async\", the \
                  silent slowdown",
        config: "current-thread tokio, one task per URL, one Agent",
        concurrency: Concurrency::One,
        thread_per_request: false,
    },
    build: |s| {
        Ok(Box::new(BlockingInAsync {
            runtime: super::tokio_current_thread()?,
            agent: fetch::ureq::agent(&s.client),
            cpu_work: s.client.cpu_work,
        }))
    },
}];

struct BlockingInAsync {
    runtime: tokio::runtime::Runtime,
    agent: ureq::Agent,
    cpu_work: u64,
}

impl Strategy for BlockingInAsync {
    fn run(&mut self, requests: &[Request], heartbeat: Option<Heartbeat>) -> Vec<Outcome> {
        let (agent, w) = (&self.agent, self.cpu_work);
        self.runtime.block_on(async {
            // The requests are tasks, so the heartbeat is one too, queued first.
            if let Some(h) = heartbeat {
                tokio::spawn(h);
            }
            let mut set = tokio::task::JoinSet::new();
            for r in requests {
                let (agent, url, i) = (agent.clone(), r.url.clone(), r.index);
                // The mistake: no await point, no offload; the task holds the thread until done.
                set.spawn(async move { (i, fetch::ureq::get(&agent, &url, w)) });
            }
            super::gather::in_order(requests.len(), set.join_all().await)
        })
    }
}
