//! Where the requests go: the mock server in a child process (the default for measurements, so
//! the client's CPU accounting is its own), in this process (tests, quick runs), or a server
//! started by hand elsewhere (`--target` / `FANOUT_TARGET`).
//!
//! The child is this same executable re-run with `FANOUT_SERVE_CHILD` set: [`serve_if_child`]
//! must be the first call of every `main` that may spawn one. It prints its URL, serves until
//! its standard input closes (so it never outlives the parent), and is killed by PID on drop.

use mock_server::{Config, ServerHandle, Stats};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHILD_ENV: &str = "FANOUT_SERVE_CHILD";
const CORE_ENV: &str = "FANOUT_SERVER_CORE";
const THREADS_ENV: &str = "FANOUT_SERVER_THREADS";

/// A mock server that requests can be sent to and whose counters can be read.
pub enum Target {
    /// In this process, on its own threads.
    InProcess(ServerHandle),
    /// In a child process started by this one.
    Child {
        child: Child,
        base_url: String,
        agent: ureq::Agent,
    },
    /// Started elsewhere; only its URL is known.
    Remote {
        base_url: String,
        agent: ureq::Agent,
    },
}

/// The mock server could not be started or reached.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("cannot start the mock server: {0}")]
    Start(#[from] mock_server::StartError),
    #[error("cannot start the mock server process {exe}: {source}")]
    Spawn { exe: String, source: std::io::Error },
    #[error("the mock server process did not report its URL: {0}")]
    NoUrl(String),
    #[error("{url} must look like http://HOST:PORT")]
    BadUrl { url: String },
    #[error("cannot read the mock server's counters at {url}/stats: {reason}")]
    Stats { url: String, reason: String },
}

fn control_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

impl Target {
    /// A server on this process's own threads.
    pub fn in_process() -> Result<Target, TargetError> {
        Ok(Target::InProcess(mock_server::start(Config::default())?))
    }

    /// A server in a child process: this executable re-run in server mode. The child is pinned
    /// to core `FANOUT_SERVER_CORE` if that variable is set.
    pub fn child() -> Result<Target, TargetError> {
        let exe = std::env::current_exe().map_err(|source| TargetError::Spawn {
            exe: "the current executable".into(),
            source,
        })?;
        Target::child_of(&exe)
    }

    /// A server in a child process running `exe`, which must call [`serve_if_child`] first
    /// (the `fanout` binary and the bench do).
    pub fn child_of(exe: &std::path::Path) -> Result<Target, TargetError> {
        let mut child = Command::new(exe)
            .env(CHILD_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|source| TargetError::Spawn {
                exe: exe.display().to_string(),
                source,
            })?;
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        let read = BufReader::new(stdout).read_line(&mut line);
        let base_url = line.trim().to_owned();
        if read.is_err() || !base_url.starts_with("http://") {
            let _ = child.kill();
            let _ = child.wait();
            return Err(TargetError::NoUrl(format!("{read:?} {line:?}")));
        }
        Ok(Target::Child {
            child,
            base_url,
            agent: control_agent(),
        })
    }

    /// A server started elsewhere, at `http://HOST:PORT`.
    pub fn remote(url: &str) -> Result<Target, TargetError> {
        let base_url = url.trim_end_matches('/').to_owned();
        let ok = base_url
            .strip_prefix("http://")
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
        if !ok {
            return Err(TargetError::BadUrl {
                url: url.to_owned(),
            });
        }
        let target = Target::Remote {
            base_url,
            agent: control_agent(),
        };
        target.stats()?;
        Ok(target)
    }

    /// `FANOUT_TARGET` if set, else a child process.
    pub fn from_env() -> Result<Target, TargetError> {
        match std::env::var("FANOUT_TARGET") {
            Ok(url) if !url.is_empty() => Target::remote(&url),
            _ => Target::child(),
        }
    }

    /// `http://HOST:PORT`.
    pub fn base_url(&self) -> String {
        match self {
            Target::InProcess(s) => s.base_url(),
            Target::Child { base_url, .. } | Target::Remote { base_url, .. } => base_url.clone(),
        }
    }

    /// The server's worker threads and the core it is pinned to, when this process knows them
    /// (not for a server started elsewhere).
    pub fn layout(&self) -> Option<(usize, Option<usize>)> {
        match self {
            Target::InProcess(_) => Some((1, None)),
            Target::Child { .. } => Some(child_layout()),
            Target::Remote { .. } => None,
        }
    }

    /// How the server runs, for the record kept with the results.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::InProcess(_) => "in-process",
            Target::Child { .. } => "child-process",
            Target::Remote { .. } => "remote",
        }
    }

    /// The server's counters.
    pub fn stats(&self) -> Result<Stats, TargetError> {
        match self {
            Target::InProcess(s) => Ok(s.stats()),
            Target::Child { agent, .. } | Target::Remote { agent, .. } => {
                self.control(agent, false)
            }
        }
    }

    /// Zeroes the server's counters.
    pub fn reset_stats(&self) -> Result<(), TargetError> {
        match self {
            Target::InProcess(s) => {
                s.reset_stats();
                Ok(())
            }
            Target::Child { agent, .. } | Target::Remote { agent, .. } => {
                self.control(agent, true).map(drop)
            }
        }
    }

    /// Waits (at most `limit`) until the server holds no more than `open` connections: the
    /// connections of a strategy just dropped are closed before the next one starts, so it
    /// neither shares the server with them nor runs the server out of descriptors.
    pub fn wait_until_idle(
        &self,
        open: u64,
        limit: std::time::Duration,
    ) -> Result<u64, TargetError> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let now_open = self.stats()?.connections_open;
            if now_open <= open || std::time::Instant::now() >= deadline {
                return Ok(now_open);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn control(&self, agent: &ureq::Agent, reset: bool) -> Result<Stats, TargetError> {
        let url = self.base_url();
        let err = |reason: String| TargetError::Stats {
            url: url.clone(),
            reason,
        };
        let response = if reset {
            agent.post(format!("{url}/stats/reset")).send("")
        } else {
            agent.get(format!("{url}/stats")).call()
        };
        let mut body = String::new();
        response
            .map_err(|e| err(e.to_string()))?
            .body_mut()
            .as_reader()
            .read_to_string(&mut body)
            .map_err(|e| err(e.to_string()))?;
        serde_json::from_str(&body).map_err(|e| err(format!("not the server's JSON: {e}")))
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Target::Child { child, .. } = self {
            drop(child.stdin.take());
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A server child's worker threads (`FANOUT_SERVER_THREADS`, default 1) and pinned core
/// (`FANOUT_SERVER_CORE`, default none).
fn child_layout() -> (usize, Option<usize>) {
    let core = std::env::var(CORE_ENV).ok().and_then(|c| c.parse().ok());
    let threads = std::env::var(THREADS_ENV)
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    (threads, core)
}

/// If this process was started as a server child, serves until stdin closes, then exits.
/// Otherwise returns at once. Call it first in `main`.
pub fn serve_if_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let (threads, core) = child_layout();
    let pin_cores = core.into_iter().collect();
    let server = match mock_server::start(Config {
        pin_cores,
        threads,
        ..Config::default()
    }) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fanout server child: {e}");
            std::process::exit(2);
        }
    };
    println!("{}", server.base_url());
    // Serve until the parent closes our stdin (or dies).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(server);
    std::process::exit(0);
}
