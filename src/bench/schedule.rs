//! The order cells are measured in: every round visits every cell once, in an order shuffled
//! anew for each round from one recorded seed (Google Benchmark's random interleaving, asv's
//! interleaved processes). Drift of a shared machine (another job starting, the CPU warming
//! up) then lands on different cells in different rounds instead of on one unlucky block.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// For each round, the indices of `cells` cells in the order that round measures them.
pub fn rounds(cells: usize, rounds: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..rounds)
        .map(|_| {
            let mut order: Vec<usize> = (0..cells).collect();
            order.shuffle(&mut rng);
            order
        })
        .collect()
}

/// A seed for a run that names none: the time, so that two runs use different orders.
pub fn fresh_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_round_visits_every_cell_once_in_its_own_order() {
        let r = rounds(40, 3, 9);
        assert_eq!(r.len(), 3);
        for order in &r {
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..40).collect::<Vec<_>>());
        }
        assert_ne!(r[0], r[1]);
        assert_ne!(r[1], r[2]);
    }

    #[test]
    fn the_seed_decides_the_orders() {
        assert_eq!(rounds(20, 3, 5), rounds(20, 3, 5));
        assert_ne!(rounds(20, 3, 5), rounds(20, 3, 6));
    }
}
