//! How the server is started: address, threads, pinning, limits, and the checks that keep its
//! defaults safe (loopback only unless asked otherwise).

use crate::params::Limits;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// How to run a server. `Config::default()` is a one-thread server on `127.0.0.1` with an OS-chosen
/// port, which is what tests and the benches want.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen; port 0 lets the OS choose.
    pub addr: SocketAddr,
    /// Must be set to listen on anything but a loopback address.
    pub allow_non_loopback: bool,
    /// Worker threads serving connections (1 runs a single-threaded event loop).
    pub threads: usize,
    /// CPU cores to pin the worker threads to, round-robin; empty means no pinning.
    pub pin_cores: Vec<usize>,
    /// Caps on what one request may ask for.
    pub limits: Limits,
    /// How long a connection may wait for a complete request head, including while idle
    /// between requests; also bounds slow clients that dribble their headers.
    pub idle_timeout: Duration,
    /// The most bytes a request head may take before the server answers 431/400 and closes.
    pub max_head_bytes: usize,
    /// How long shutdown waits for requests in progress before it drops them.
    pub grace: Duration,
    /// CPU time the server spends on every `/r/` request before its delay, busy on its own
    /// thread: a slow handler, to make the server the bottleneck on purpose. Zero by default.
    pub cpu_per_request: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            allow_non_loopback: false,
            threads: 1,
            pin_cores: Vec::new(),
            limits: Limits::default(),
            idle_timeout: Duration::from_secs(30),
            max_head_bytes: 16 * 1024,
            grace: Duration::from_secs(1),
            cpu_per_request: Duration::ZERO,
        }
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "refusing to listen on {0}: it is not a loopback address; \
         pass --allow-non-loopback (Config::allow_non_loopback) to expose the server"
    )]
    NotLoopback(SocketAddr),
    #[error("threads must be at least 1")]
    NoThreads,
    #[error("cannot pin to core {core}: this machine has cores 0..{available}")]
    NoSuchCore { core: usize, available: usize },
    #[error("max_head_bytes must be at least 8192 (hyper's minimum), got {0}")]
    HeadTooSmall(usize),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the server's runtime: {0}")]
    Runtime(std::io::Error),
}

impl Config {
    /// Checks the configuration before anything is started.
    pub fn validate(&self) -> Result<(), StartError> {
        if !self.addr.ip().is_loopback() && !self.allow_non_loopback {
            return Err(StartError::NotLoopback(self.addr));
        }
        if self.threads == 0 {
            return Err(StartError::NoThreads);
        }
        if self.max_head_bytes < 8192 {
            return Err(StartError::HeadTooSmall(self.max_head_bytes));
        }
        if !self.pin_cores.is_empty() {
            let available = core_affinity::get_core_ids().map_or(0, |c| c.len());
            if let Some(&core) = self.pin_cores.iter().find(|&&c| c >= available) {
                return Err(StartError::NoSuchCore { core, available });
            }
        }
        Ok(())
    }
}
