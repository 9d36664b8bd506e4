//! OS threads with a blocking client: one per URL, rayon's CPU-sized pool, or a pool of K.

use super::{Concurrency, Entry, Family, Info, Strategy};
use crate::fetch;
use crate::outcome::{ErrorKind, Outcome};
use crate::probe::Heartbeat;
use crate::workload::Request;
use rayon::prelude::*;

pub(super) const ENTRIES: &[Entry] = &[
    Entry {
        info: Info {
            id: "threads/thread-per-url",
            family: Family::Threads,
            description: "one scoped std thread per URL, all sharing one ureq Agent",
            mirrors: "`threading.Thread(target=fetch)` per URL, then `join()`",
            config: "N threads (default stack), one Agent with an idle pool of N",
            concurrency: Concurrency::All,
            thread_per_request: true,
        },
        build: |s| {
            Ok(Box::new(ThreadPerUrl(
                fetch::ureq::agent(&s.client),
                s.client.cpu_work,
            )))
        },
    },
    Entry {
        info: Info {
            id: "threads/rayon-default",
            family: Family::Threads,
            description: "rayon par_iter on the global pool (one thread per core), ureq",
            mirrors:
                "a pool sized for CPU work used for I/O, e.g. `ProcessPoolExecutor()` defaults",
            config: "rayon's global pool: one thread per core, one Agent",
            concurrency: Concurrency::Cores,
            thread_per_request: false,
        },
        build: |s| {
            Ok(Box::new(RayonDefault(
                fetch::ureq::agent(&s.client),
                s.client.cpu_work,
            )))
        },
    },
    Entry {
        info: Info {
            id: "threads/pool-k",
            family: Family::Threads,
            description: "a rayon pool of K threads, par_iter, ureq",
            mirrors: "`ThreadPoolExecutor(max_workers=K).map(fetch, urls)`",
            config: "a dedicated rayon pool of K threads (the workload's concurrency), one Agent",
            concurrency: Concurrency::K,
            thread_per_request: false,
        },
        build: |s| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(s.k)
                .thread_name(|i| format!("pool-k-{i}"))
                .build()
                .map_err(|e| format!("a pool of {} threads: {e}", s.k))?;
            Ok(Box::new(PoolK {
                pool,
                agent: fetch::ureq::agent(&s.client),
                cpu_work: s.client.cpu_work,
            }))
        },
    },
];

struct ThreadPerUrl(ureq::Agent, u64);

impl Strategy for ThreadPerUrl {
    fn run(&mut self, requests: &[Request], _: Option<Heartbeat>) -> Vec<Outcome> {
        let (agent, cpu_work) = (&self.0, self.1);
        std::thread::scope(|scope| {
            let handles: Vec<_> = requests
                .iter()
                .map(|r| {
                    std::thread::Builder::new()
                        .spawn_scoped(scope, move || fetch::ureq::get(agent, &r.url, cpu_work))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| match h {
                    Ok(h) => h.join().unwrap_or_else(|_| {
                        Outcome::failed(ErrorKind::Other, "the request's thread panicked")
                    }),
                    // The machine's thread limit (RLIMIT_NPROC, memory for stacks) was hit.
                    Err(e) => Outcome::failed(
                        ErrorKind::Other,
                        format!("cannot spawn a thread for this URL: {e}"),
                    ),
                })
                .collect()
        })
    }
}

struct RayonDefault(ureq::Agent, u64);

impl Strategy for RayonDefault {
    fn run(&mut self, requests: &[Request], _: Option<Heartbeat>) -> Vec<Outcome> {
        let (agent, cpu_work) = (&self.0, self.1);
        requests
            .par_iter()
            .map(|r| fetch::ureq::get(agent, &r.url, cpu_work))
            .collect()
    }
}

struct PoolK {
    pool: rayon::ThreadPool,
    agent: ureq::Agent,
    cpu_work: u64,
}

impl Strategy for PoolK {
    fn run(&mut self, requests: &[Request], _: Option<Heartbeat>) -> Vec<Outcome> {
        let (agent, cpu_work) = (&self.agent, self.cpu_work);
        self.pool.install(|| {
            requests
                .par_iter()
                .with_max_len(1)
                .map(|r| fetch::ureq::get(agent, &r.url, cpu_work))
                .collect()
        })
    }
}
