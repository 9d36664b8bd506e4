//! Ten thousand URLs in one batch, with the open-files limit raised first (each connection is a
//! descriptor). The server runs in a child process (the `fanout` binary), as in the benches, so
//! each side has its own limit.
//!
//! A cold batch opens 10,000 connections at once, and the server holds one descriptor per
//! connection: both the cold batch and the warm one that follows (on pooled connections) must
//! verify exactly, with no connection the server failed to accept.

use fanout_bench::strategy::{self, Settings};
use fanout_bench::target::Target;
use fanout_bench::{limits, run, ProfileFile};
use std::path::Path;
use std::time::Duration;

#[test]
fn ten_thousand_urls_in_one_batch() {
    let w = ProfileFile::parse(
        "[[workload]]\nname = \"n10000\"\nrequests = 10000\nbytes = 64\nlatency = { model = \"fixed\", ms = 1 }\ntimeout_ms = 30000\n",
        Path::new("scale.toml"),
    )
    .unwrap()
    .workload
    .remove(0);
    limits::check_open_files(&w.name, w.requests, false)
        .expect("this machine allows 10,000 connections");
    let target = Target::child_of(Path::new(env!("CARGO_BIN_EXE_fanout"))).unwrap();
    let requests = w.requests(&target.base_url());
    for id in [
        "gather/tokio-hyper",
        "gather/smol-hyper",
        "gather/tokio-join-all",
        "gather/tokio-joinset",
        "threads/pool-k",
        "offload/smol-unblock",
    ] {
        let mut s = strategy::select(id).unwrap()[0]
            .build(&Settings::for_workload(&w))
            .unwrap();
        for pass in ["cold", "warm"] {
            let batch = run::run_batch(s.as_mut(), &requests, &target).unwrap();
            if let Some(why) = batch.problem() {
                panic!("{id} at N = 10,000, {pass} batch ({:?}): {why}", batch.wall);
            }
        }
        drop(s);
        // The next strategy starts once this one's connections are closed.
        target.wait_until_idle(16, Duration::from_secs(20)).unwrap();
    }
}
