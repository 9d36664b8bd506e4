//! The plan of every request of a workload, decided from its seed: latencies, fault positions,
//! URLs and what each response must be.

use super::{Latency, Planned, Request, Workload};
use crate::floor;
use crate::outcome::{ErrorKind, Expected};
use mock_server::body::expected_checksum;
use mock_server::{Fault, Params};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Pareto};
use std::time::Duration;

impl Workload {
    /// The per-request timeout every client uses.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// What each request does at the server, in order; the same for the same seed.
    pub fn plan(&self) -> Vec<Planned> {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let to_dur = |ms: f64| Duration::from_micros((ms * 1000.0).round() as u64);
        let latencies: Vec<Duration> = match self.latency {
            Latency::Fixed { ms } => vec![to_dur(ms); self.requests],
            Latency::Uniform { min_ms, max_ms } => (0..self.requests)
                .map(|_| to_dur(min_ms + (max_ms - min_ms) * rng.random::<f64>()))
                .collect(),
            Latency::Lognormal {
                median_ms,
                sigma,
                max_ms,
            } => {
                let d = LogNormal::new(median_ms.ln(), sigma).expect("validated parameters");
                (0..self.requests)
                    .map(|_| to_dur(d.sample(&mut rng).min(max_ms)))
                    .collect()
            }
            Latency::Pareto {
                scale_ms,
                shape,
                max_ms,
            } => {
                let d = Pareto::new(scale_ms, shape).expect("validated parameters");
                (0..self.requests)
                    .map(|_| to_dur(d.sample(&mut rng).min(max_ms)))
                    .collect()
            }
        };
        let mut faults = vec![None; self.requests];
        let mut positions: Vec<usize> = (0..self.requests).collect();
        positions.shuffle(&mut ChaCha8Rng::seed_from_u64(self.seed ^ 0xfa17_5eed));
        let mut next = positions.into_iter();
        for (fault, _, fraction) in self.faults.fractions() {
            let count = (fraction * self.requests as f64).round() as usize;
            for i in next.by_ref().take(count) {
                faults[i] = Some(fault);
            }
        }
        latencies
            .into_iter()
            .zip(faults)
            .map(|(latency, fault)| Planned { latency, fault })
            .collect()
    }

    /// The time each request must take at best: its latency, or the timeout for a stall.
    pub fn durations(&self) -> Vec<Duration> {
        self.plan()
            .iter()
            .map(|p| match p.fault {
                Some(Fault::Stall) => self.timeout(),
                _ => p.latency,
            })
            .collect()
    }

    /// The ideal floor for a strategy with this concurrency limit (`None`: unbounded).
    pub fn floor(&self, limit: Option<usize>) -> Duration {
        let d = self.durations();
        match limit {
            None => floor::unbounded(&d),
            Some(k) => floor::in_order(&d, k),
        }
    }

    /// The prepared requests against a server at `base_url` (`http://host:port`).
    pub fn requests(&self, base_url: &str) -> Vec<Request> {
        let base = base_url.trim_end_matches('/');
        self.plan()
            .into_iter()
            .enumerate()
            .map(|(index, planned)| {
                let params = Params {
                    id: index as u64,
                    latency: planned.latency,
                    bytes: self.bytes,
                    fault: planned.fault,
                };
                let expected = match planned.fault {
                    None => Expected::Body {
                        bytes: self.bytes,
                        checksum: expected_checksum(params.id, self.bytes),
                    },
                    Some(Fault::Status500) => Expected::Status(500),
                    Some(Fault::Reset) => Expected::Error(ErrorKind::Reset),
                    Some(Fault::Stall) => Expected::Error(ErrorKind::Timeout),
                    Some(Fault::Truncated) => Expected::Error(ErrorKind::Truncated),
                };
                Request {
                    index,
                    url: format!("{base}{}", params.path_and_query()),
                    planned,
                    expected,
                }
            })
            .collect()
    }
}
