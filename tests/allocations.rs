//! The counting allocator, installed as this test binary's global allocator as the bench binary
//! installs it: a probe batch counts what it allocates, and nothing is counted outside one.

use fanout_bench::probe::{CountingAlloc, Session};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

#[test]
fn a_probe_batch_counts_every_allocation_it_makes() {
    let session = Session::start(std::iter::empty());
    let boxes: Vec<Box<[u8; 1000]>> = (0..100)
        .map(|_| std::hint::black_box(Box::new([7u8; 1000])))
        .collect();
    let record = session.finish();
    drop(boxes);
    let (n, bytes) = (record.allocations.unwrap(), record.allocated_bytes.unwrap());
    // The hundred boxes and the vector that holds them (the ticker thread allocates before the
    // count starts).
    assert!((101..200).contains(&n), "{n} allocations");
    assert!(bytes >= 100 * 1000, "{bytes} bytes");

    // Outside a batch nothing is counted: a second, empty batch counts (almost) nothing.
    let _more: Vec<Box<[u8; 1000]>> = (0..100).map(|_| Box::new([7u8; 1000])).collect();
    let record = Session::start(std::iter::empty()).finish();
    assert!(record.allocations.unwrap() < 10, "{:?}", record.allocations);
}
