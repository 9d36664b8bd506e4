//! How much to sample each cell, and which cells to skip, so a profile's run time is known in
//! advance. A cell is measured in several rounds, each in a fresh process at a different point
//! of the run; the time goes to rounds (where a shared machine's drift shows) rather than to
//! more batches of one block. The batch count per round comes from the cell's predicted cost:
//! its ideal floor before anything runs, then its first (cold) batch.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The sampling settings of a profile (the `[sampling]` table of its file).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sampling {
    /// Rounds: each cell is measured once per round, in a fresh process, and the order of the
    /// cells is shuffled anew in every round. A cell takes this many rounds if they fit its
    /// budget...
    pub rounds: usize,
    /// ... and never fewer than this many.
    pub min_rounds: usize,
    /// Seconds of timed batches a cell aims for in one round (a cheap cell's batch count).
    pub round_s: f64,
    /// The fewest timed batches of a cell in one round.
    pub min_batches: usize,
    /// The most timed batches of a cell in one round.
    pub max_batches: usize,
    /// Seconds of untimed warm batches after the cold one, in every round (a batch that takes
    /// longer than this is warmed by the cold batch alone).
    pub warm_up_s: f64,
    /// The longest one cell may take over all its rounds, in seconds; a cell predicted to take
    /// longer is skipped, with the reason.
    pub cell_budget_s: f64,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            rounds: 5,
            min_rounds: 3,
            round_s: 0.3,
            min_batches: 2,
            max_batches: 30,
            warm_up_s: 0.1,
            cell_budget_s: 30.0,
        }
    }
}

/// What one round of a cell runs after its cold batch: decided once, in the first round, and
/// kept for every round so the rounds are alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundPlan {
    /// Untimed warm batches after the cold one.
    pub warm: usize,
    /// Timed batches.
    pub batches: usize,
}

/// What to do with a cell after its first cold batch.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Run it, with this many warm batches after the cold one in every round.
    Warm(usize),
    Skip(String),
}

impl Sampling {
    /// Checks the values; the error names the field and the allowed range.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let range = |name, v: f64, lo: f64, hi: f64| {
            if v.is_finite() && v >= lo && v <= hi {
                Ok(())
            } else {
                Err((name, format!("= {v} is outside [{lo}, {hi}] seconds")))
            }
        };
        range("sampling.round_s", self.round_s, 0.01, 600.0)?;
        range("sampling.warm_up_s", self.warm_up_s, 0.0, 60.0)?;
        range("sampling.cell_budget_s", self.cell_budget_s, 1.0, 3600.0)?;
        let count = |name, v: usize, lo: usize, hi: usize| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err((name, format!("= {v} is outside [{lo}, {hi}]")))
            }
        };
        count("sampling.min_rounds", self.min_rounds, 1, 100)?;
        count("sampling.rounds", self.rounds, self.min_rounds, 100)?;
        count("sampling.min_batches", self.min_batches, 1, 10_000)?;
        count(
            "sampling.max_batches",
            self.max_batches,
            self.min_batches,
            10_000,
        )?;
        Ok(())
    }

    fn budget(&self) -> Duration {
        Duration::from_secs_f64(self.cell_budget_s)
    }

    /// The fewest batches a cell runs over the whole run: a cold one and the least timed ones in
    /// each of its fewest rounds.
    fn least_batches(&self) -> usize {
        self.min_rounds * (1 + self.min_batches)
    }

    /// After a cell's first round took `first` (its whole process): how many rounds it gets,
    /// as many as its budget holds between `min_rounds` and `rounds`. Cheap cells, where a
    /// process's luck (which core the scheduler gives each thread) moves the numbers most,
    /// get the most rounds; a long, steady one takes the fewest.
    pub fn rounds_for(&self, first: Duration) -> usize {
        let fit = (self.cell_budget_s / first.as_secs_f64().max(1e-6)).floor() as usize;
        fit.clamp(self.min_rounds, self.rounds)
    }

    /// Before anything runs: skip a cell whose floor alone would blow the budget.
    pub fn before_running(&self, floor: Duration) -> Option<String> {
        let least = floor * self.least_batches() as u32;
        (least > self.budget()).then(|| {
            format!(
                "its ideal floor is {:.2} s a batch, so {} batches ({} rounds of a cold batch and \
                 {} timed ones) would take at least {:.0} s, over the profile's cell budget of {} s",
                floor.as_secs_f64(),
                self.least_batches(),
                self.min_rounds,
                self.min_batches,
                least.as_secs_f64(),
                self.cell_budget_s
            )
        })
    }

    /// After the first round's cold batch took `cold`: how many warm batches every round runs
    /// after its cold one, or why to skip the cell.
    pub fn after_cold(&self, cold: Duration) -> Decision {
        let batch_s = cold.as_secs_f64().max(1e-6);
        let least = batch_s * self.least_batches() as f64;
        if least > self.cell_budget_s {
            return Decision::Skip(format!(
                "its cold batch took {batch_s:.2} s, so {} batches would take {least:.0} s, over \
                 the profile's cell budget of {} s",
                self.least_batches(),
                self.cell_budget_s
            ));
        }
        Decision::Warm((self.warm_up_s / batch_s).floor() as usize)
    }

    /// After the first round's first timed batch took `batch`: the timed batches of every
    /// round, as many as fit in `round_s` within bounds and within the budget. A cold batch is
    /// no guide here: opening a thousand connections can make it many times a warm one.
    pub fn batches(&self, batch: Duration, warm: usize) -> usize {
        let batch_s = batch.as_secs_f64().max(1e-6);
        let fit = (self.round_s / batch_s).round() as usize;
        // What the budget leaves for timed batches in one round, after the cold and warm ones.
        let per_round = (self.cell_budget_s / self.min_rounds as f64 / batch_s).floor() as usize;
        let room = per_round.saturating_sub(1 + warm).max(self.min_batches);
        fit.clamp(self.min_batches, self.max_batches).min(room)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn cheap_cells_fill_the_round_time_with_batches() {
        let s = Sampling::default();
        assert_eq!(s.after_cold(ms(20)), Decision::Warm(5));
        assert_eq!(s.batches(ms(10), 5), 30);
        assert_eq!(s.batches(ms(50), 2), 6);
    }

    #[test]
    fn long_cells_take_the_minimum_and_no_warm_batch_beyond_the_cold_one() {
        let s = Sampling::default();
        assert_eq!(s.after_cold(ms(1500)), Decision::Warm(0));
        assert_eq!(s.batches(ms(1500), 0), 2);
    }

    #[test]
    fn cells_over_budget_are_skipped_with_the_reason() {
        let s = Sampling::default();
        match s.after_cold(ms(3500)) {
            Decision::Skip(why) => assert!(
                why.contains("9 batches would take 32 s") && why.contains("30 s"),
                "{why}"
            ),
            d => panic!("{d:?}"),
        }
        let why = s.before_running(ms(11_000)).unwrap();
        assert!(
            why.contains("11.00 s a batch") && why.contains("cell budget of 30 s"),
            "{why}"
        );
        assert_eq!(s.before_running(ms(100)), None);
    }

    #[test]
    fn cheap_cells_get_the_most_rounds_and_long_ones_the_fewest() {
        let s = Sampling::default();
        assert_eq!(s.rounds_for(ms(300)), 5);
        assert_eq!(s.rounds_for(ms(7_000)), 4);
        assert_eq!(s.rounds_for(ms(20_000)), 3, "never fewer than min_rounds");
    }

    #[test]
    fn bad_settings_name_the_field() {
        let s = Sampling {
            rounds: 2,
            ..Sampling::default()
        };
        assert_eq!(s.validate().unwrap_err().0, "sampling.rounds");
        let s = Sampling {
            cell_budget_s: -1.0,
            ..Sampling::default()
        };
        assert!(s.validate().unwrap_err().1.contains("-1 is outside"));
        let s = Sampling {
            max_batches: 1,
            ..Sampling::default()
        };
        assert_eq!(s.validate().unwrap_err().0, "sampling.max_batches");
    }
}
