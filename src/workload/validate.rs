//! Every field of a workload checked, with the field and the allowed range named.

use super::{cap_ms, Latency, Workload, MAX_REQUESTS, TIMEOUT_MARGIN};
use mock_server::{Fault, Limits};
use std::time::Duration;

pub(super) type Invalid = (&'static str, String);

fn check(ok: bool, field: &'static str, problem: impl FnOnce() -> String) -> Result<(), Invalid> {
    if ok {
        Ok(())
    } else {
        Err((field, problem()))
    }
}

fn check_ms(field: &'static str, v: f64, min_exclusive: bool) -> Result<(), Invalid> {
    let cap = cap_ms();
    let low_ok = if min_exclusive { v > 0.0 } else { v >= 0.0 };
    let low = if min_exclusive { "(0" } else { "[0" };
    check(v.is_finite() && low_ok && v <= cap, field, || {
        format!("= {v} is outside {low}, {cap}] milliseconds (the server's latency cap)")
    })
}

impl Workload {
    /// Checks every field; the error names the field and the allowed range.
    pub fn validate(&self) -> Result<(), Invalid> {
        let name_ok = !self.name.is_empty()
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        check(name_ok, "name", || {
            format!(
                "= {:?} must be non-empty and use only letters, digits, '-', '_' and '.'",
                self.name
            )
        })?;
        check(
            (1..=MAX_REQUESTS).contains(&self.requests),
            "requests",
            || format!("= {} is outside [1, {MAX_REQUESTS}]", self.requests),
        )?;
        let max_bytes = Limits::default().max_bytes;
        check(self.bytes <= max_bytes, "bytes", || {
            format!(
                "= {} is outside [0, {max_bytes}] (the server's cap)",
                self.bytes
            )
        })?;
        check(self.concurrency >= 1, "concurrency", || {
            "= 0 is outside [1, ...): it is the K of pool-K and buffer-unordered-K".into()
        })?;
        match self.latency {
            Latency::Fixed { ms } => check_ms("latency.ms", ms, false)?,
            Latency::Uniform { min_ms, max_ms } => {
                check_ms("latency.min_ms", min_ms, false)?;
                check_ms("latency.max_ms", max_ms, false)?;
                check(min_ms <= max_ms, "latency.max_ms", || {
                    format!("= {max_ms} is below latency.min_ms = {min_ms}")
                })?;
            }
            Latency::Lognormal {
                median_ms,
                sigma,
                max_ms,
            } => {
                check_ms("latency.median_ms", median_ms, true)?;
                check(
                    sigma.is_finite() && sigma > 0.0 && sigma <= 10.0,
                    "latency.sigma",
                    || format!("= {sigma} is outside (0, 10]"),
                )?;
                check_ms("latency.max_ms", max_ms, true)?;
            }
            Latency::Pareto {
                scale_ms,
                shape,
                max_ms,
            } => {
                check_ms("latency.scale_ms", scale_ms, true)?;
                check(
                    shape.is_finite() && shape > 0.0 && shape <= 100.0,
                    "latency.shape",
                    || format!("= {shape} is outside (0, 100]"),
                )?;
                check_ms("latency.max_ms", max_ms, true)?;
            }
        }
        for (_, field, f) in self.faults.fractions() {
            check(f.is_finite() && (0.0..=1.0).contains(&f), field, || {
                format!("= {f} is outside [0, 1]")
            })?;
        }
        let sum: f64 = self.faults.fractions().iter().map(|(_, _, f)| f).sum();
        check(sum <= 1.0 + 1e-9, "faults", || {
            format!("add up to {sum}, more than 1 (every request at most one fault)")
        })?;
        check(
            self.faults.truncated == 0.0 || self.bytes >= 1,
            "faults.truncated",
            || "needs bytes >= 1: an empty body cannot be cut short".into(),
        )?;
        let cap = Limits::default().max_latency;
        check(
            self.timeout_ms >= 1 && Duration::from_millis(self.timeout_ms) < cap,
            "timeout_ms",
            || {
                format!(
                    "= {} is outside [1, {}): a stalled request must time out before the server's cap",
                    self.timeout_ms,
                    cap.as_millis()
                )
            },
        )?;
        let longest = self
            .plan()
            .iter()
            .filter(|p| p.fault != Some(Fault::Stall))
            .map(|p| p.latency)
            .max()
            .unwrap_or_default();
        check(
            longest + TIMEOUT_MARGIN < self.timeout(),
            "timeout_ms",
            || {
                format!(
                "= {} leaves no room for the longest planned latency ({} ms) plus a {} ms margin; \
                 raise timeout_ms or lower latency.max_ms",
                self.timeout_ms,
                longest.as_millis(),
                TIMEOUT_MARGIN.as_millis()
            )
            },
        )?;
        Ok(())
    }
}
