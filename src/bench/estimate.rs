//! A cell's published wall time from all its rounds: the median batch, its 95% interval, and
//! the tail (p90 and the slowest batch).
//!
//! The interval comes from a two-level bootstrap: resample the rounds with replacement, then
//! the batches within each chosen round, and take the median of what was drawn. A round that
//! ran while the machine was busier moves the median of every resample that draws it, so the
//! interval widens by as much as the rounds disagree: it describes what another run at another
//! moment shows, which a bootstrap over one block of batches cannot.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Resamples drawn for an interval.
pub const RESAMPLES: usize = 5_000;

/// A cell is unstable when its p90 batch is this many times its median or more.
pub const UNSTABLE_P90_OVER_MEDIAN: f64 = 1.5;

/// A cell's wall time per batch, in nanoseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub median_ns: f64,
    /// The 95% interval of the median (two-level bootstrap over rounds, then batches).
    pub lower_ns: f64,
    pub upper_ns: f64,
    pub p90_ns: f64,
    pub max_ns: f64,
    /// The standard deviation of all batches.
    pub std_dev_ns: f64,
    /// Each round's median, in run order.
    pub round_medians_ns: Vec<f64>,
    pub batches: usize,
}

impl Estimate {
    /// p90 over the median: 1.0 for a cell whose batches all take the same time.
    pub fn tail_ratio(&self) -> f64 {
        self.p90_ns / self.median_ns.max(1.0)
    }

    /// Whether the batches spread so widely that the median alone misleads.
    pub fn unstable(&self) -> bool {
        self.tail_ratio() >= UNSTABLE_P90_OVER_MEDIAN
    }
}

/// The value at quantile `q` of sorted `v` (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The estimate from the timed batches of each round (`rounds[r]` in run order), with a seeded
/// bootstrap so the same record always yields the same interval. `None` with no batch at all.
pub fn estimate(rounds: &[Vec<f64>], seed: u64) -> Option<Estimate> {
    let rounds: Vec<&Vec<f64>> = rounds.iter().filter(|r| !r.is_empty()).collect();
    let mut all: Vec<f64> = rounds.iter().flat_map(|r| r.iter().copied()).collect();
    if all.is_empty() {
        return None;
    }
    let batches = all.len();
    let mean = all.iter().sum::<f64>() / batches as f64;
    let var = all.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (batches.max(2) - 1) as f64;
    let median_ns = median(&mut all);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut medians = Vec::with_capacity(RESAMPLES);
    let mut drawn = Vec::with_capacity(batches);
    for _ in 0..RESAMPLES {
        drawn.clear();
        for _ in 0..rounds.len() {
            let round = rounds[rng.random_range(0..rounds.len())];
            for _ in 0..round.len() {
                drawn.push(round[rng.random_range(0..round.len())]);
            }
        }
        medians.push(median(&mut drawn));
    }
    medians.sort_by(f64::total_cmp);
    Some(Estimate {
        median_ns,
        lower_ns: quantile(&medians, 0.025),
        upper_ns: quantile(&medians, 0.975),
        p90_ns: quantile(&all, 0.9),
        max_ns: all[batches - 1],
        std_dev_ns: var.sqrt(),
        round_medians_ns: rounds.iter().map(|r| median(&mut r.to_vec())).collect(),
        batches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_that_disagree_widen_the_interval_to_cover_them() {
        // Three rounds that agree within themselves but not with each other.
        let rounds = vec![vec![10.0; 10], vec![11.0; 10], vec![12.0; 10]];
        let e = estimate(&rounds, 1).unwrap();
        assert_eq!(e.median_ns, 11.0);
        assert!(e.lower_ns <= 10.0 && e.upper_ns >= 12.0, "{e:?}");
        // The same batches as one round: the interval shrinks to the pooled median's own spread.
        let pooled = vec![rounds.concat()];
        let p = estimate(&pooled, 1).unwrap();
        assert!(p.upper_ns - p.lower_ns < e.upper_ns - e.lower_ns, "{p:?}");
        assert_eq!(e.round_medians_ns, vec![10.0, 11.0, 12.0]);
    }

    #[test]
    fn the_tail_is_reported_and_a_wide_one_marks_the_cell_unstable() {
        let mut r: Vec<f64> = vec![10.0; 8];
        r.extend([30.0, 40.0]);
        let e = estimate(&[r], 7).unwrap();
        assert_eq!((e.p90_ns, e.max_ns), (30.0, 40.0));
        assert!(e.unstable(), "{e:?}");
        let steady = estimate(&[vec![10.0, 10.5, 11.0, 10.2]], 7).unwrap();
        assert!(!steady.unstable(), "{steady:?}");
    }

    #[test]
    fn the_same_rounds_give_the_same_interval_and_no_rounds_give_none() {
        let rounds = vec![vec![1.0, 2.0, 3.0], vec![2.0, 4.0]];
        assert_eq!(estimate(&rounds, 3), estimate(&rounds, 3));
        assert_eq!(estimate(&[vec![], vec![]], 3), None);
    }
}
