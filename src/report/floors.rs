//! The achievable floor of a workload: one lower bound on the time of any strategy for that
//! workload on this machine, so every cell of the workload is divided by the same number and
//! ordering by ratio is ordering by time.
//!
//! It is the largest of four bounds, each measured on this machine:
//! - **latency**: every request at once, so the longest request's latency (a stalled request's
//!   timeout included);
//! - **CPU**: N x (the least client CPU per request of any measured cell + the least server CPU
//!   per request) / cores; the client's figure includes the workload's own CPU work;
//! - **transfer**: N x body bytes / the loopback transfer rate from calibration;
//! - **capacity**: N / the server's capacity from calibration.
//!
//! A calibration made while the host stole much of the machine's time can come out too low,
//! and a floor above what a strategy achieved is no lower bound. So the transfer rate and the
//! capacity are raised to what the workload's fastest cell achieved (N x bytes, and N
//! requests, over its median) when that is more, and the report names that cell.
//!
//! A part that was not measured (a record from before the server counted its CPU, a run without
//! calibration) is left out and the report says so.

use super::summary::Cell;
use serde::{Deserialize, Serialize};

/// One workload's achievable floor and its parts (nanoseconds).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WorkloadFloor {
    pub workload: String,
    pub requests: usize,
    /// Body bytes per request.
    pub bytes: u64,
    /// The longest request: the floor with unbounded concurrency.
    pub latency_ns: u64,
    /// N x (client + server CPU per request) / cores, from the least CPU per request any
    /// measured cell of the workload needed (client) and the least the server needed.
    pub cpu_ns: Option<u64>,
    pub client_cpu_per_request_ns: Option<u64>,
    pub server_cpu_per_request_ns: Option<u64>,
    pub cores: usize,
    /// N x bytes / the loopback transfer rate.
    pub transfer_ns: Option<u64>,
    pub transfer_bytes_per_s: Option<f64>,
    /// N / the server's capacity.
    pub capacity_ns: Option<u64>,
    pub capacity_rps: Option<f64>,
    /// The cell whose time raised the calibrated transfer rate or capacity (it moved the data,
    /// or served the requests, faster than calibration measured), if one did.
    #[serde(default)]
    pub raised_by: Option<String>,
    /// The largest of the parts.
    pub floor_ns: u64,
    /// The part that sets it: `latency`, `cpu`, `transfer` or `capacity`.
    pub bound_by: String,
}

/// What the floor is built from besides the cells.
pub struct Machine {
    pub cores: usize,
    pub capacity_rps: Option<f64>,
    pub transfer_bytes_per_s: Option<f64>,
}

/// The floor of the workload whose cells are `cells` (all of one workload, any status).
/// `own_floor_ns` of each cell is the latency floor for its own concurrency; the least of them
/// is the unbounded one.
pub fn of(cells: &[&Cell], m: &Machine) -> Option<WorkloadFloor> {
    let first = cells.first()?;
    let n = first.requests as f64;
    let latency_ns = cells.iter().map(|c| c.own_floor_ns).min()?;
    let measured: Vec<&&Cell> = cells.iter().filter(|c| c.median_ns.is_some()).collect();
    let least = |f: &dyn Fn(&Cell) -> Option<u64>| measured.iter().filter_map(|c| f(c)).min();
    let client = least(&|c| c.cpu_per_request_ns);
    let server = least(&|c| c.server_cpu_per_request_ns);
    let cores = m.cores.max(1);
    let cpu_ns = client.map(|cl| (n * (cl + server.unwrap_or(0)) as f64 / cores as f64) as u64);
    // What the fastest cell achieved: a rate the calibration cannot have been above.
    let fastest = measured
        .iter()
        .filter_map(|c| Some((c, c.median_ns?)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    let achieved = |per_batch: f64| fastest.map(|(_, t)| per_batch / (t / 1e9));
    let mut raised = false;
    let mut raise = |calibrated: Option<f64>, achieved: Option<f64>| match (calibrated, achieved) {
        (Some(c), Some(a)) if a > c => {
            raised = true;
            Some(a)
        }
        (c, _) => c,
    };
    let transfer_rate = match first.bytes > 0 {
        true => raise(m.transfer_bytes_per_s, achieved(n * first.bytes as f64)),
        false => m.transfer_bytes_per_s,
    };
    let capacity_rps = raise(m.capacity_rps, achieved(n));
    let raised_by = fastest.filter(|_| raised).map(|(c, _)| c.strategy.clone());
    let transfer_ns = transfer_rate
        .filter(|r| *r > 0.0 && first.bytes > 0)
        .map(|r| (n * first.bytes as f64 / r * 1e9) as u64);
    let capacity_ns = capacity_rps
        .filter(|r| *r > 0.0)
        .map(|r| (n / r * 1e9) as u64);
    let parts = [
        ("latency", Some(latency_ns)),
        ("cpu", cpu_ns),
        ("transfer", transfer_ns),
        ("capacity", capacity_ns),
    ];
    let (bound_by, floor_ns) = parts
        .iter()
        .filter_map(|(name, v)| Some((*name, (*v)?)))
        // The first of equal parts wins, so a workload with no latency and nothing measured
        // reads "latency".
        .fold(
            ("latency", 0u64),
            |best, p| if p.1 > best.1 { p } else { best },
        );
    Some(WorkloadFloor {
        workload: first.workload.clone(),
        requests: first.requests,
        bytes: first.bytes,
        latency_ns,
        cpu_ns,
        client_cpu_per_request_ns: client,
        server_cpu_per_request_ns: server,
        cores,
        transfer_ns,
        transfer_bytes_per_s: transfer_rate,
        capacity_ns,
        capacity_rps,
        raised_by,
        floor_ns,
        bound_by: bound_by.into(),
    })
}

impl WorkloadFloor {
    /// The floor with its formula, for the report: every part with what it was computed from.
    pub fn explain(&self) -> String {
        use super::text::{ms, us};
        let n = self.requests;
        let mut parts = vec![format!(
            "latency {} (the longest request)",
            ms(self.latency_ns as f64)
        )];
        parts.push(match (self.cpu_ns, self.client_cpu_per_request_ns) {
            (Some(cpu), Some(client)) => format!(
                "CPU {} = {n} x ({} client + {} server) / {} cores",
                ms(cpu as f64),
                us(client),
                self.server_cpu_per_request_ns
                    .map_or("not recorded".into(), us),
                self.cores
            ),
            _ => "CPU not measured".into(),
        });
        parts.push(match (self.transfer_ns, self.transfer_bytes_per_s) {
            (Some(t), Some(rate)) => format!(
                "transfer {} = {n} x {} bytes at {:.0} MiB/s",
                ms(t as f64),
                self.bytes,
                rate / (1 << 20) as f64
            ),
            (None, Some(_)) => "transfer 0 (no body)".into(),
            _ => "transfer not calibrated".into(),
        });
        parts.push(match (self.capacity_ns, self.capacity_rps) {
            (Some(c), Some(rps)) => {
                format!("capacity {} = {n} / {rps:.0} requests/s", ms(c as f64))
            }
            _ => "capacity not calibrated".into(),
        });
        let raised = self.raised_by.as_ref().map_or(String::new(), |c| {
            format!(
                " (The calibrated transfer rate or capacity was below what `{c}` achieved here, \
                 so the rate above is that cell's.)"
            )
        });
        format!(
            "**{}**, set by {}: the largest of {}.{raised}",
            ms(self.floor_ns as f64),
            self.bound_by,
            parts.join("; ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{summarize, Inputs};
    use std::path::Path;

    /// The cells of one workload of the report fixture (a real run's record).
    fn cells() -> Vec<Cell> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let s = summarize(
            &Inputs {
                record: dir.join("tests/fixtures/run/metrics.json"),
                workspace: dir.to_path_buf(),
                rerun: None,
            },
            1,
        )
        .unwrap();
        let w = s.workloads()[0].to_owned();
        s.cells.into_iter().filter(|c| c.workload == w).collect()
    }

    fn machine() -> Machine {
        Machine {
            cores: 2,
            capacity_rps: None,
            transfer_bytes_per_s: None,
        }
    }

    #[test]
    fn each_part_sets_the_floor_when_it_is_the_largest() {
        let mut cells = cells();
        let n = cells[0].requests as u64;
        let latency = cells.iter().map(|c| c.own_floor_ns).min().unwrap();
        for c in &mut cells {
            c.bytes = 1 << 20;
            c.cpu_per_request_ns = c.cpu_per_request_ns.map(|_| 1_000);
            c.server_cpu_per_request_ns = None;
        }
        // The least client CPU of a measured cell: one cell needs less than the rest.
        let cheapest = cells.iter().position(|c| c.median_ns.is_some()).unwrap();
        cells[cheapest].cpu_per_request_ns = Some(10);
        let refs: Vec<&Cell> = cells.iter().collect();

        let f = of(&refs, &machine()).unwrap();
        assert_eq!((f.floor_ns, f.bound_by.as_str()), (latency, "latency"));
        assert_eq!(f.cpu_ns, Some(n * 10 / 2));
        assert_eq!((f.transfer_ns, f.capacity_ns), (None, None));
        assert!(
            f.explain().contains("transfer not calibrated"),
            "{}",
            f.explain()
        );

        // CPU: each request needs a whole latency's worth of CPU on one of two cores.
        cells.iter_mut().for_each(|c| {
            c.cpu_per_request_ns = Some(latency);
            c.server_cpu_per_request_ns = Some(latency);
        });
        let refs: Vec<&Cell> = cells.iter().collect();
        let f = of(&refs, &machine()).unwrap();
        assert_eq!((f.floor_ns, f.bound_by.as_str()), (n * latency, "cpu"));

        // Transfer and capacity, from calibration (every cell slower than it, so it stands).
        cells.iter_mut().for_each(|c| {
            c.cpu_per_request_ns = Some(1);
            c.server_cpu_per_request_ns = Some(1);
            c.median_ns = c.median_ns.map(|_| 1e15);
        });
        let refs: Vec<&Cell> = cells.iter().collect();
        let slow_link = Machine {
            transfer_bytes_per_s: Some((1 << 20) as f64),
            ..machine()
        };
        let f = of(&refs, &slow_link).unwrap();
        assert_eq!(
            (f.floor_ns, f.bound_by.as_str()),
            (n * 1_000_000_000, "transfer")
        );
        let slow_server = Machine {
            capacity_rps: Some(1.0),
            transfer_bytes_per_s: Some(1e12),
            ..machine()
        };
        let f = of(&refs, &slow_server).unwrap();
        assert_eq!(
            (f.floor_ns, f.bound_by.as_str()),
            (n * 1_000_000_000, "capacity")
        );
        assert!(f.explain().contains("requests/s"), "{}", f.explain());
        assert_eq!(f.raised_by, None);

        // A calibration below what a cell achieved (the host stole its time) is raised to the
        // fastest cell's rate: the floor never exceeds a measured time.
        let fastest = cells.iter().position(|c| c.median_ns.is_some()).unwrap();
        cells[fastest].median_ns = Some(2e9);
        let refs: Vec<&Cell> = cells.iter().collect();
        let f = of(&refs, &slow_link).unwrap();
        assert_eq!(f.transfer_ns, Some(2_000_000_000));
        assert!(f.floor_ns <= 2_000_000_000, "{}", f.explain());
        assert_eq!(f.raised_by.as_deref(), Some(&*cells[fastest].strategy));
        assert!(f.explain().contains("was below what"), "{}", f.explain());
        let f = of(&refs, &slow_server).unwrap();
        assert_eq!(f.capacity_ns, Some(2_000_000_000));
    }

    #[test]
    fn unmeasured_cells_do_not_lower_the_cpu_part() {
        let mut cells = cells();
        for c in &mut cells {
            c.cpu_per_request_ns = Some(500);
        }
        // A skipped or failed cell has no median: its CPU figure (if any) is not a bound.
        let unmeasured = cells.iter().position(|c| c.median_ns.is_none()).unwrap();
        cells[unmeasured].cpu_per_request_ns = Some(1);
        let refs: Vec<&Cell> = cells.iter().collect();
        let f = of(&refs, &machine()).unwrap();
        assert_eq!(f.client_cpu_per_request_ns, Some(500));
    }
}
