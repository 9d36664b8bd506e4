//! How much to sample each cell, and which cells to skip, so a profile's run time is known in
//! advance. IO-bound batches are long and their times barely vary, so sampling is flat and the
//! sample count comes from the cell's predicted cost: its ideal floor before anything runs,
//! then its first measured batch.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Criterion's smallest sample count.
pub const MIN_SAMPLES: usize = 10;

/// The sampling settings of a profile (the `[sampling]` table of its file).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sampling {
    /// The most samples a cell takes.
    pub max_samples: usize,
    /// The measurement time criterion aims for, in seconds, for a cheap cell.
    pub measurement_s: f64,
    /// Criterion's warm-up, in seconds (connections are already warm from the metrics pass).
    pub warm_up_s: f64,
    /// Untimed batches of the metrics pass before criterion measures.
    pub metrics_batches: usize,
    /// The longest one cell may take, in seconds; a cell predicted to take longer is skipped.
    pub cell_budget_s: f64,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            max_samples: 30,
            measurement_s: 2.0,
            warm_up_s: 0.3,
            metrics_batches: 3,
            cell_budget_s: 30.0,
        }
    }
}

/// What to do with a cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    Run {
        samples: usize,
        measurement: Duration,
        warm_up: Duration,
    },
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
        range("sampling.measurement_s", self.measurement_s, 0.1, 600.0)?;
        range("sampling.warm_up_s", self.warm_up_s, 0.01, 60.0)?;
        range("sampling.cell_budget_s", self.cell_budget_s, 1.0, 3600.0)?;
        if !(MIN_SAMPLES..=10_000).contains(&self.max_samples) {
            return Err((
                "sampling.max_samples",
                format!("= {} is outside [{MIN_SAMPLES}, 10000]", self.max_samples),
            ));
        }
        if !(1..=100).contains(&self.metrics_batches) {
            return Err((
                "sampling.metrics_batches",
                format!("= {} is outside [1, 100]", self.metrics_batches),
            ));
        }
        Ok(())
    }

    fn budget(&self) -> Duration {
        Duration::from_secs_f64(self.cell_budget_s)
    }

    /// Before anything runs: skip a cell whose floor alone would blow the budget.
    pub fn before_running(&self, floor: Duration) -> Option<String> {
        let least = floor * (MIN_SAMPLES + self.metrics_batches) as u32;
        (least > self.budget()).then(|| {
            format!(
                "its ideal floor is {:.2} s a batch, so {} batches would take at least {:.0} s, \
                 over the profile's cell budget of {} s",
                floor.as_secs_f64(),
                MIN_SAMPLES + self.metrics_batches,
                least.as_secs_f64(),
                self.cell_budget_s
            )
        })
    }

    /// After the metrics pass measured one batch at `batch`: how to sample, or why to skip.
    pub fn decide(&self, batch: Duration) -> Decision {
        let batch_s = batch.as_secs_f64().max(1e-6);
        let least = batch_s * MIN_SAMPLES as f64;
        if least > self.cell_budget_s {
            return Decision::Skip(format!(
                "one batch took {batch_s:.2} s, so {MIN_SAMPLES} samples would take {least:.0} s, \
                 over the profile's cell budget of {} s",
                self.cell_budget_s
            ));
        }
        // As many samples as fit in the measurement time at one batch each, within bounds.
        let fit = (self.measurement_s / batch_s).floor() as usize;
        let samples = fit.clamp(MIN_SAMPLES, self.max_samples);
        // Flat sampling gives each sample ceil(measurement / (samples x batch)) batches: aim a
        // little under one batch per sample so a long cell takes one batch per sample, not two.
        let measurement = (batch_s * samples as f64 * 0.9)
            .max(self.measurement_s)
            .min(self.cell_budget_s);
        Decision::Run {
            samples,
            measurement: Duration::from_secs_f64(measurement),
            warm_up: Duration::from_secs_f64(self.warm_up_s.min(batch_s * 2.0).max(0.01)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }

    #[test]
    fn cheap_cells_take_many_samples_within_the_measurement_time() {
        let s = Sampling::default();
        match s.decide(ms(10)) {
            Decision::Run {
                samples,
                measurement,
                ..
            } => {
                assert_eq!(samples, 30);
                assert_eq!(measurement, Duration::from_secs(2));
            }
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn long_cells_take_the_minimum_and_enough_time_for_one_batch_each() {
        let s = Sampling::default();
        match s.decide(ms(1500)) {
            Decision::Run {
                samples,
                measurement,
                ..
            } => {
                assert_eq!(samples, MIN_SAMPLES);
                assert!(
                    measurement >= ms(13_000) && measurement < ms(15_000),
                    "{measurement:?}"
                );
            }
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn cells_over_budget_are_skipped_with_the_reason() {
        let s = Sampling::default();
        match s.decide(ms(3500)) {
            Decision::Skip(why) => assert!(why.contains("35 s") && why.contains("30 s"), "{why}"),
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
    fn bad_settings_name_the_field() {
        let s = Sampling {
            max_samples: 3,
            ..Sampling::default()
        };
        assert_eq!(s.validate().unwrap_err().0, "sampling.max_samples");
        let s = Sampling {
            cell_budget_s: -1.0,
            ..Sampling::default()
        };
        assert!(s.validate().unwrap_err().1.contains("-1 is outside"));
    }
}
