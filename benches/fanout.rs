//! The main job, `cargo bench`: every workload of the profile (`FANOUT_PROFILE`, standard by
//! default) x every strategy, against the mock server in a child process; each cell measured in
//! shuffled rounds, each round in a process of its own, every batch verified. The orchestration
//! lives in `src/bench/` (its module docs say how a number is made); this is its entry point.
//!
//! `FANOUT_TARGET=http://HOST:PORT` uses a mock server started elsewhere; `FANOUT_SEED` repeats
//! a run's order. The flags criterion users know work: a filter (`gather/`, or one cell's id),
//! `--exact`, `--list`, `--test`, `--profile-time S`, `--save-baseline NAME`, `--baseline NAME`,
//! `--output-format bencher`.

/// Counts allocations during a cell's probe batch (one relaxed load per allocation otherwise).
#[global_allocator]
static ALLOC: fanout_bench::probe::CountingAlloc = fanout_bench::probe::CountingAlloc;

fn main() -> std::process::ExitCode {
    fanout_bench::bench::main()
}
