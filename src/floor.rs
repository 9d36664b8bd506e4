//! The ideal floor: the shortest time any client could take for a batch, from the latencies the
//! server will apply (exact, because the workload fixes them in advance).
//!
//! With `d_i` the time request `i` must take at the server (its latency, or the client timeout for
//! a request that stalls):
//! - **sequential** (one request at a time): `sum(d_i)`;
//! - **unbounded concurrency** (every request at once): `max(d_i)`;
//! - **K workers taking requests in order** (a pool of K, or a gather limited to K): each request,
//!   in order, starts on the worker that frees up first; the floor is the last finish time (the
//!   greedy in-order makespan). For K >= N this equals `max(d_i)`, for K = 1 it is `sum(d_i)`.
//!
//! These ignore the network and the client's own CPU cost; the calibrated floor (see
//! `calibrate.rs`) adds the measured per-request overhead and the server's capacity.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

/// The floor for `durations` run one after another.
pub fn sequential(durations: &[Duration]) -> Duration {
    durations.iter().sum()
}

/// The floor for `durations` all run at once.
pub fn unbounded(durations: &[Duration]) -> Duration {
    durations.iter().copied().max().unwrap_or_default()
}

/// The floor for `durations` taken in order by `k` workers (`k = 0` is read as 1).
pub fn in_order(durations: &[Duration], k: usize) -> Duration {
    let k = k.max(1);
    if k >= durations.len() {
        return unbounded(durations);
    }
    // Min-heap of the times at which each worker becomes free.
    let mut free: BinaryHeap<Reverse<Duration>> = (0..k).map(|_| Reverse(Duration::ZERO)).collect();
    let mut end = Duration::ZERO;
    for d in durations {
        let Reverse(start) = free.pop().expect("k >= 1 workers");
        let finish = start + *d;
        end = end.max(finish);
        free.push(Reverse(finish));
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn small_cases_by_hand() {
        let d = ms(&[10, 30, 20, 40]);
        assert_eq!(sequential(&d), Duration::from_millis(100));
        assert_eq!(unbounded(&d), Duration::from_millis(40));
        // Worker A: 10, then 20 (ends 30), then 40 (ends 70); worker B: 30.
        assert_eq!(in_order(&d, 2), Duration::from_millis(70));
        assert_eq!(in_order(&d, 1), sequential(&d));
        assert_eq!(in_order(&d, 9), unbounded(&d));
        assert_eq!(in_order(&[], 3), Duration::ZERO);
    }

    /// A scheduler written the slow, obvious way: at each step advance time to the next event.
    fn brute_force(durations: &[Duration], k: usize) -> Duration {
        let mut running: Vec<Duration> = Vec::new(); // finish times
        let mut now = Duration::ZERO;
        let mut end = Duration::ZERO;
        for d in durations {
            while running.len() >= k {
                now = *running.iter().min().unwrap();
                running.retain(|f| *f > now);
            }
            running.push(now + *d);
            end = end.max(now + *d);
        }
        end
    }

    proptest! {
        #[test]
        fn in_order_matches_a_brute_force_scheduler(
            v in proptest::collection::vec(0u64..500, 0..60), k in 1usize..12
        ) {
            let d = ms(&v);
            prop_assert_eq!(in_order(&d, k), brute_force(&d, k));
            prop_assert!(in_order(&d, k) >= unbounded(&d));
            prop_assert!(in_order(&d, k) <= sequential(&d));
        }
    }
}
