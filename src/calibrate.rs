//! Calibration: how fast and how punctual the mock server is on this machine, measured the way
//! `wrk -t1 -c64` would (a fixed set of keep-alive connections, each sending its next request as
//! soon as the last one is answered), and the calibrated floor built from it.
//!
//! The server ends a delay at its deadline with a high-resolution timer (see mock-server's
//! `timer`), so what a client observes beyond the requested latency is the loopback round trip
//! and the machine's wake-up latency (the server and the client both wake from idle after a
//! delay). The harness does not pretend otherwise: the calibrated floor adds the measured
//! overhead (observed minus requested, median, one connection) to every request, and is never
//! below N divided by the server's measured capacity.

use crate::floor;
use crate::target::Target;
use crate::workload::Workload;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The measured figures.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct Calibration {
    /// Requests per second at zero latency over `capacity_connections` keep-alive connections.
    pub capacity_rps: f64,
    pub capacity_connections: usize,
    pub capacity_seconds: f64,
    /// Observed minus requested latency, by requested latency and concurrency.
    pub delay: Vec<DelayRow>,
    /// Loopback transfer: the best of one and two connections each fetching
    /// `transfer_body_bytes` bodies back to back (bytes per second, body bytes only); absent in
    /// calibrations from before it was measured.
    #[serde(default)]
    pub transfer_bytes_per_s: Option<f64>,
    #[serde(default)]
    pub transfer_body_bytes: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct DelayRow {
    pub requested_ms: u64,
    pub connections: usize,
    pub samples: usize,
    pub over_p50_us: u64,
    pub over_p99_us: u64,
}

impl DelayRow {
    /// The row's figures as the tables print them: requested latency, connections, samples,
    /// overshoot at p50 and p99.
    fn cells(&self) -> [String; 5] {
        [
            format!("{} ms", self.requested_ms),
            self.connections.to_string(),
            self.samples.to_string(),
            format!("{:.3} ms", self.over_p50_us as f64 / 1000.0),
            format!("{:.3} ms", self.over_p99_us as f64 / 1000.0),
        ]
    }
}

/// How much to measure.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub capacity_connections: usize,
    pub capacity_time: Duration,
    pub latencies_ms: &'static [u64],
    pub concurrencies: &'static [usize],
    /// Total samples per delay row (split over its connections).
    pub samples: usize,
    /// The body size and how many bodies each connection fetches, for the transfer figure.
    pub transfer_body_bytes: u64,
    pub transfer_bodies: usize,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            capacity_connections: 64,
            capacity_time: Duration::from_secs(3),
            latencies_ms: &[0, 1, 10, 20],
            concurrencies: &[1, 256],
            samples: 512,
            transfer_body_bytes: 16 << 20,
            transfer_bodies: 6,
        }
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

async fn connect(addr: &str) -> std::io::Result<Sender> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn fetch(sender: &mut Sender, path: &str) -> std::io::Result<()> {
    let req = hyper::Request::get(path)
        .header("host", "calibrate")
        .body(Empty::new())
        .map_err(std::io::Error::other)?;
    // The connection becomes ready again only once its task has seen the last body end.
    sender.ready().await.map_err(std::io::Error::other)?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(std::io::Error::other)?;
    if resp.status() != 200 {
        return Err(std::io::Error::other(format!("status {}", resp.status())));
    }
    resp.into_body()
        .collect()
        .await
        .map_err(std::io::Error::other)?;
    Ok(())
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// Measures the target's capacity and delay accuracy. Bounded in time by the plan.
pub fn calibrate(target: &Target, plan: &Plan) -> std::io::Result<Calibration> {
    let addr = target.base_url().trim_start_matches("http://").to_owned();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let done = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for _ in 0..plan.capacity_connections {
            let mut sender = connect(&addr).await?;
            let (done, stop) = (done.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    fetch(&mut sender, "/r/1?bytes=16").await?;
                    done.fetch_add(1, Ordering::Relaxed);
                }
                Ok::<_, std::io::Error>(())
            }));
        }
        let started = Instant::now();
        tokio::time::sleep(plan.capacity_time).await;
        let count = done.load(Ordering::Relaxed);
        let seconds = started.elapsed().as_secs_f64();
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.map_err(std::io::Error::other)??;
        }

        let mut transfer: Option<f64> = None;
        for connections in [1usize, 2].into_iter().filter(|_| plan.transfer_bodies > 0) {
            let path = format!("/r/1?bytes={}", plan.transfer_body_bytes);
            let mut senders = Vec::new();
            for _ in 0..connections {
                let mut sender = connect(&addr).await?;
                // One body first, so the connection's buffers have grown before the clock runs.
                fetch(&mut sender, &path).await?;
                senders.push(sender);
            }
            let started = Instant::now();
            let tasks: Vec<_> = senders
                .into_iter()
                .map(|mut sender| {
                    let (path, bodies) = (path.clone(), plan.transfer_bodies);
                    tokio::spawn(async move {
                        for _ in 0..bodies {
                            fetch(&mut sender, &path).await?;
                        }
                        Ok::<_, std::io::Error>(())
                    })
                })
                .collect();
            for t in tasks {
                t.await.map_err(std::io::Error::other)??;
            }
            let bytes =
                (connections * plan.transfer_bodies) as f64 * plan.transfer_body_bytes as f64;
            let rate = bytes / started.elapsed().as_secs_f64();
            transfer = Some(transfer.map_or(rate, |t: f64| t.max(rate)));
        }

        let mut delay = Vec::new();
        for &connections in plan.concurrencies {
            for &ms in plan.latencies_ms {
                let rounds = plan.samples.div_ceil(connections).max(1);
                let path = format!("/r/1?lat_us={}&bytes=16", ms * 1000);
                let mut tasks = Vec::new();
                for _ in 0..connections {
                    let mut sender = connect(&addr).await?;
                    let path = path.clone();
                    tasks.push(tokio::spawn(async move {
                        let mut over = Vec::with_capacity(rounds);
                        for _ in 0..rounds {
                            let t = Instant::now();
                            fetch(&mut sender, &path).await?;
                            let rtt = t.elapsed().as_micros() as u64;
                            over.push(rtt.saturating_sub(ms * 1000));
                        }
                        Ok::<_, std::io::Error>(over)
                    }));
                }
                let mut all = Vec::new();
                for t in tasks {
                    all.extend(t.await.map_err(std::io::Error::other)??);
                }
                all.sort_unstable();
                delay.push(DelayRow {
                    requested_ms: ms,
                    connections,
                    samples: all.len(),
                    over_p50_us: percentile(&all, 0.5),
                    over_p99_us: percentile(&all, 0.99),
                });
            }
        }
        Ok(Calibration {
            capacity_rps: count as f64 / seconds,
            capacity_connections: plan.capacity_connections,
            capacity_seconds: seconds,
            delay,
            transfer_bytes_per_s: transfer.filter(|_| plan.transfer_bodies > 0),
            transfer_body_bytes: plan.transfer_body_bytes,
        })
    })
}

impl Calibration {
    /// The median overhead on one connection at the measured latency nearest to `latency`.
    pub fn overhead(&self, latency: Duration) -> Duration {
        let ms = latency.as_secs_f64() * 1000.0;
        self.delay
            .iter()
            .filter(|r| r.connections == 1)
            .min_by(|a, b| {
                let da = (a.requested_ms as f64 - ms).abs();
                let db = (b.requested_ms as f64 - ms).abs();
                da.total_cmp(&db)
            })
            .map_or(Duration::ZERO, |r| Duration::from_micros(r.over_p50_us))
    }

    /// The calibrated floor for `workload` at concurrency `limit` (`None`: unbounded): the ideal
    /// floor with every request lengthened by the measured overhead at its median latency, and
    /// no faster than N / capacity.
    pub fn floor(&self, workload: &Workload, limit: Option<usize>) -> Duration {
        let mut d = workload.durations();
        let mut sorted = d.clone();
        sorted.sort_unstable();
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
        let o = self.overhead(median);
        d.iter_mut().for_each(|x| *x += o);
        let ideal = match limit {
            None => floor::unbounded(&d),
            Some(k) => floor::in_order(&d, k),
        };
        let capacity = if self.capacity_rps > 0.0 {
            Duration::from_secs_f64(workload.requests as f64 / self.capacity_rps)
        } else {
            Duration::ZERO
        };
        ideal.max(capacity)
    }

    /// The figures as aligned text, for a terminal.
    pub fn text(&self) -> String {
        let mut s = format!(
            "capacity: {:.0} requests/s at zero latency over {} keep-alive connections ({:.1} s)\n\n\
             {:>18} {:>12} {:>8} {:>12} {:>12}\n",
            self.capacity_rps,
            self.capacity_connections,
            self.capacity_seconds,
            "requested latency",
            "connections",
            "samples",
            "over, p50",
            "over, p99"
        );
        for [a, b, c, d, e] in self.delay.iter().map(DelayRow::cells) {
            s.push_str(&format!("{a:>18} {b:>12} {c:>8} {d:>12} {e:>12}\n"));
        }
        if let Some(t) = self.transfer_bytes_per_s {
            s.push_str(&format!(
                "\nloopback transfer: {:.0} MiB/s (the best of one and two connections fetching \
                 {} MiB bodies back to back)\n",
                t / (1 << 20) as f64,
                self.transfer_body_bytes >> 20
            ));
        }
        s
    }

    /// The figures as a Markdown table, for the README and the report.
    pub fn markdown(&self) -> String {
        let mut s = format!(
            "Capacity: **{:.0} requests/s** at zero latency over {} keep-alive connections \
             ({:.1} s).\n\n| requested latency | connections | samples | over, p50 | over, p99 |\n\
             |---:|---:|---:|---:|---:|\n",
            self.capacity_rps, self.capacity_connections, self.capacity_seconds
        );
        for [a, b, c, d, e] in self.delay.iter().map(DelayRow::cells) {
            s.push_str(&format!("| {a} | {b} | {c} | {d} | {e} |\n"));
        }
        if let Some(t) = self.transfer_bytes_per_s {
            s.push_str(&format!(
                "\nLoopback transfer: **{:.0} MiB/s** (the best of one and two connections \
                 fetching {} MiB bodies back to back).\n",
                t / (1 << 20) as f64,
                self.transfer_body_bytes >> 20
            ));
        }
        s
    }
}
