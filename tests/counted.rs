//! Every batch is counted at the server: a strategy that sends a request twice (a retry, a
//! duplicate) returns outcomes that all verify, and only the server's count gives it away.

use fanout_bench::fetch::{self, ClientConfig};
use fanout_bench::outcome::Outcome;
use fanout_bench::probe::Heartbeat;
use fanout_bench::run::run_batch;
use fanout_bench::strategy::Strategy;
use fanout_bench::target::Target;
use fanout_bench::{ProfileFile, Request};
use std::path::Path;
use std::time::Duration;

/// Fetches every URL `times` times and returns the last outcome of each.
struct Repeats {
    agent: ureq::Agent,
    times: usize,
}

impl Strategy for Repeats {
    fn run(&mut self, requests: &[Request], _: Option<Heartbeat>) -> Vec<Outcome> {
        requests
            .iter()
            .map(|r| {
                let mut last = None;
                for _ in 0..self.times {
                    last = Some(fetch::ureq::get(&self.agent, &r.url, 0));
                }
                last.expect("times >= 1")
            })
            .collect()
    }
}

fn batch(times: usize) -> Option<String> {
    let target = Target::in_process().unwrap();
    let w = ProfileFile::parse(
        "[[workload]]\nname = \"w\"\nrequests = 5\nbytes = 64\nlatency = { model = \"fixed\", ms = 0 }\n",
        Path::new("t.toml"),
    )
    .unwrap()
    .workload
    .remove(0);
    let agent = fetch::ureq::agent(&ClientConfig {
        timeout: Duration::from_secs(5),
        idle_per_host: 5,
        cpu_work: 0,
    });
    let mut s = Repeats { agent, times };
    let b = run_batch(&mut s, &w.requests(&target.base_url()), &target).unwrap();
    assert!(b.verified.is_ok(), "every outcome verifies either way");
    b.problem()
}

#[test]
fn a_batch_that_sent_a_request_twice_is_not_valid_and_says_why() {
    assert_eq!(batch(1), None);
    let why = batch(2).expect("a duplicate is caught");
    assert!(
        why.contains("received 10 requests for the 5 planned"),
        "{why}"
    );
}
