//! A stateless HTTP/1.1 mock server for benchmarking HTTP clients.
//!
//! Everything a response does is encoded in its URL, so a workload decides each request's delay,
//! size and fault up front and a client can verify every response exactly:
//!
//! ```text
//! GET /r/{id}?lat_us=L&bytes=B&fault=F
//! ```
//!
//! - `id` (unsigned integer): with `bytes`, decides the body's content ([`body::body_bytes`]).
//! - `lat_us` (default 0): microseconds to wait before answering, without blocking a worker;
//!   at most [`Limits::max_latency`] (60 s by default).
//! - `bytes` (default 0): the body's exact length; at most [`Limits::max_bytes`] (64 MiB).
//! - `fault` (default none): `500` answers 500; `reset` closes the connection with a TCP reset
//!   and no response; `stall` holds the response for the latency cap; `truncated` announces
//!   `bytes` in Content-Length, sends half and closes.
//!
//! Anything else gets a 400 with a one-line reason. `GET /stats` returns the [`Stats`] as JSON and
//! `POST /stats/reset` zeroes them. The server binds 127.0.0.1 unless told otherwise, and runs on
//! its own threads: [`start`] returns a [`ServerHandle`] that stops it when dropped.

pub mod body;
mod config;
mod cpu;
pub mod params;
mod rlimit;
mod server;
mod stats;
mod timer;

pub use config::{Config, StartError};
pub use params::{Fault, Limits, ParamError, Params};
pub use rlimit::raise_open_files;
pub use server::{start, ServerHandle};
pub use stats::{FaultCounts, Stats};

/// The text served at `GET /`.
pub const USAGE: &str = "\
mock-server routes:
  GET  /r/{id}?lat_us=L&bytes=B&fault=F   wait L microseconds, answer B bytes of body {id}
                                          fault: 500 | reset | stall | truncated
  GET  /stats                             counters as JSON
  POST /stats/reset                       zero the counters
";
