//! The server-bound mark, live: a mock server made the bottleneck on purpose (every request costs
//! it 4 ms of CPU, `Config::cpu_per_request`, `mock-server --cpu-us`) marks its cell; the same
//! strategy against a server without that cost is not marked. The batches are real; only the
//! record around them is borrowed from the report fixture.

use fanout_bench::bench::record::{RoundRecord, Status};
use fanout_bench::metrics::TimedBatch;
use fanout_bench::report::{self, context::Context, summary::Summary};
use fanout_bench::run::run_batch;
use fanout_bench::strategy::{self, Settings};
use fanout_bench::target::Target;
use fanout_bench::ProfileFile;
use mock_server::Config;
use std::path::Path;
use std::time::Duration;

/// Three verified timed batches (after a warm one) of gather/tokio-hyper: 25 requests of
/// `latency_ms` against a server that spends `cpu` on each.
fn batches(cpu: Duration, latency_ms: u64) -> Vec<TimedBatch> {
    let server = mock_server::start(Config {
        cpu_per_request: cpu,
        ..Config::default()
    })
    .unwrap();
    let target = Target::remote(&server.base_url()).unwrap();
    let toml = format!(
        "[[workload]]\nname = \"w\"\nrequests = 25\nbytes = 64\nlatency = {{ model = \"fixed\", ms = {latency_ms} }}\n"
    );
    let w = ProfileFile::parse(&toml, Path::new("t.toml"))
        .unwrap()
        .workload
        .remove(0);
    let mut s = strategy::find("gather/tokio-hyper")
        .unwrap()
        .build(&Settings::for_workload(&w))
        .unwrap();
    let requests = w.requests(&server.base_url());
    (0..4)
        .map(|_| {
            let b = run_batch(s.as_mut(), &requests, &target).unwrap();
            assert_eq!(b.problem(), None);
            TimedBatch::of(&b)
        })
        .skip(1)
        .collect()
}

#[test]
fn a_server_made_the_bottleneck_on_purpose_marks_its_cell_server_bound() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run/metrics.json");
    let mut record = report::read_record(&fixture).unwrap();
    let template = record
        .cells
        .iter()
        .find(|c| c.status == Status::Ok)
        .unwrap()
        .clone();
    let cell = |workload: &str, timed: Vec<TimedBatch>| {
        let mut c = template.clone();
        c.workload = workload.into();
        c.rounds = template
            .rounds
            .iter()
            .map(|r| RoundRecord {
                timed: timed.clone(),
                stolen: Vec::new(),
                ..r.clone()
            })
            .collect();
        c
    };
    record.cells = vec![
        cell("busy-server", batches(Duration::from_millis(4), 0)),
        cell("idle-server", batches(Duration::ZERO, 20)),
    ];
    let here = Context::of_this_machine(Path::new(env!("CARGO_MANIFEST_DIR")));
    let summary = Summary::build(&record, here, 0).unwrap();
    let busy = &summary.cells[0];
    assert!(busy.server_bound, "server busy {:?}", busy.server_busy);
    // 25 requests of 4 ms: at least 100 ms of the server's CPU a batch.
    assert!(busy.server_cpu_per_request_ns.unwrap() >= 4_000_000);
    let idle = &summary.cells[1];
    assert!(!idle.server_bound, "server busy {:?}", idle.server_busy);
}
