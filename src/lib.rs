//! fanout-bench: what is the fastest and cheapest way for Rust code to fetch many URLs?
//!
//! Data flows one way: a [`workload::Workload`] prepares requests against the mock server, a
//! strategy turns them into [`outcome::Outcome`]s, [`outcome::verify`] checks them against the
//! plan, and only verified batches are timed and reported.

pub mod bench;
pub mod calibrate;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod export;
pub mod fetch;
pub mod floor;
pub mod fsio;
pub mod limits;
pub mod metrics;
pub mod outcome;
pub mod probe;
pub mod profile;
pub mod report;
pub mod run;
pub mod rusage;
pub mod select;
pub mod strategy;
pub mod target;
pub mod workload;

pub use outcome::{verify, ErrorKind, Expected, Outcome};
pub use workload::{ProfileFile, Request, Workload, WorkloadError};
