//! Ten thousand URLs in one batch: the gather, offload and pool strategies must verify, with the
//! open-files limit raised first (each connection is a descriptor). The server runs in a child
//! process (the `fanout` binary), as in the benches, so each side has its own limit.
//!
//! Not here: `gather/smol-hyper`, whose last few requests of a cold 10,000-connection batch
//! time out in this debug build (the release build verifies); an open question, see the notes.

use fanout_bench::strategy::{self, Settings};
use fanout_bench::target::Target;
use fanout_bench::{limits, run, ProfileFile};
use std::path::Path;

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
    let target = Target::child_of(std::path::Path::new(env!("CARGO_BIN_EXE_fanout"))).unwrap();
    let requests = w.requests(&target.base_url());
    for id in [
        "gather/tokio-hyper",
        "gather/tokio-joinset",
        "threads/pool-k",
        "offload/smol-unblock",
    ] {
        let mut s = strategy::select(id).unwrap()[0]
            .build(&Settings::for_workload(&w))
            .unwrap();
        let b = run::run_batch(s.as_mut(), &requests, &target).unwrap();
        if let Err(e) = b.verified {
            panic!("{id} at N = 10,000: {e}");
        }
        assert_eq!(b.server.requests, 10_000, "{id}");
        drop(s);
        // The next strategy starts once this one's 10,000 connections are closed.
        target
            .wait_until_idle(16, std::time::Duration::from_secs(20))
            .unwrap();
    }
}
