//! The Python patterns themselves (`peers/python/fanout_peers.py`), run by `fanout peers` on
//! the same server, workloads and method as the Rust strategies. Never part of `cargo bench`.
//!
//! Each peer is a Python process started at build time (setup, untimed). A batch sends the URLs
//! as one JSON line; Python runs the pattern, times it with its own clock, takes its own
//! process's CPU time (every thread), and answers with every outcome, which the harness
//! verifies exactly as it verifies a Rust strategy's. So the pipe's round trip and the JSON are
//! outside the published time, as a Rust strategy's setup is.

use super::{Concurrency, Entry, Family, Info, Measured, Strategy};
use crate::outcome::{ErrorKind, Outcome};
use crate::probe::Heartbeat;
use crate::rusage::Usage;
use crate::workload::Request;
use serde::Deserialize;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;

/// The interpreter `fanout peers` set up (the virtual environment's `python`).
pub const PYTHON_ENV: &str = "FANOUT_PYTHON";

/// The peers' script, in this repository.
pub fn script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/python/fanout_peers.py")
}

macro_rules! peer {
    ($name:literal, $mirrors:literal, $config:literal, $concurrency:expr) => {
        Entry {
            info: Info {
                id: concat!("python/", $name),
                family: Family::Python,
                description: concat!("the Python pattern `", $name, "`, run by CPython"),
                mirrors: $mirrors,
                config: $config,
                concurrency: $concurrency,
                thread_per_request: false,
            },
            build: |s| Peer::start($name, s).map(|p| Box::new(p) as Box<dyn Strategy>),
        }
    };
}

/// Every Python peer, with the Rust strategy it corresponds to.
pub(super) const PEERS: &[(Entry, &str)] = &[
    (
        peer!(
            "requests-session-loop",
            "`requests.Session()` in a for loop",
            "one Session",
            Concurrency::One
        ),
        "sequential/ureq",
    ),
    (
        peer!(
            "thread-pool-default",
            "`ThreadPoolExecutor()` mapping a fetch over the URLs, Python's default workers",
            "a new ThreadPoolExecutor per call (min(32, cores + 4) workers), one shared Session",
            Concurrency::PythonPool
        ),
        "threads/pool-k",
    ),
    (
        peer!(
            "thread-pool-k",
            "`ThreadPoolExecutor(max_workers=K)` mapping a fetch over the URLs",
            "a new ThreadPoolExecutor of K per call, one shared Session",
            Concurrency::K
        ),
        "threads/pool-k",
    ),
    (
        peer!(
            "aiohttp-gather",
            "`asyncio.gather` with one `aiohttp.ClientSession`",
            "one long-lived event loop and ClientSession (connector limit 100, the default)",
            Concurrency::Fixed(100)
        ),
        "gather/tokio-current-thread",
    ),
    (
        peer!(
            "aiohttp-gather-unlimited",
            "`asyncio.gather` with one `aiohttp.ClientSession(connector=TCPConnector(limit=0))`",
            "one long-lived event loop and ClientSession, no connection limit",
            Concurrency::All
        ),
        "gather/tokio-current-thread",
    ),
    (
        peer!(
            "to-thread-gather",
            "`asyncio.to_thread(requests_get, url)` per URL, gathered",
            "one long-lived loop and its default executor (min(32, cores + 4) threads), one Session",
            Concurrency::PythonPool
        ),
        "offload/tokio-spawn-blocking",
    ),
    (
        peer!(
            "run-in-executor-gather",
            "`loop.run_in_executor(None, requests_get, url)` per URL, gathered",
            "one long-lived loop and its default executor (min(32, cores + 4) threads), one Session",
            Concurrency::PythonPool
        ),
        "offload/tokio-spawn-blocking",
    ),
    (
        peer!(
            "sync-to-async",
            "asgiref `sync_to_async(requests_get)` per URL, gathered (thread_sensitive=True, its default)",
            "one long-lived loop; every call on asgiref's one shared thread; one Session",
            Concurrency::One
        ),
        "offload/single-thread",
    ),
    (
        peer!(
            "sync-to-async-parallel",
            "asgiref `sync_to_async(requests_get, thread_sensitive=False)` per URL, gathered",
            "one long-lived loop and its default executor (min(32, cores + 4) threads), one Session",
            Concurrency::PythonPool
        ),
        "offload/tokio-spawn-blocking",
    ),
    (
        peer!(
            "async-to-sync",
            "a sync caller running the gather through asgiref `async_to_sync`",
            "asgiref's loop per call, a new ClientSession per call (a session belongs to its loop)",
            Concurrency::Fixed(100)
        ),
        "bridge/runtime-per-call",
    ),
    (
        peer!(
            "asyncio-run-per-call",
            "`asyncio.run(gather(...))` inside a sync Flask route, a new `aiohttp.ClientSession` per call",
            "a new event loop and ClientSession per call",
            Concurrency::Fixed(100)
        ),
        "bridge/runtime-per-call",
    ),
    (
        peer!(
            "blocking-in-async",
            "`requests.get` inside `async def` tasks, gathered: \"sync from async\"",
            "one long-lived loop, one task per URL, one Session",
            Concurrency::One
        ),
        "antipattern/blocking-in-async",
    ),
];

/// The Rust strategy a Python peer corresponds to.
pub fn counterpart(id: &str) -> Option<&'static str> {
    PEERS
        .iter()
        .find(|(e, _)| e.info.id == id)
        .map(|(_, rust)| *rust)
}

/// One batch as Python reports it.
#[derive(Deserialize)]
struct Reply {
    wall_ns: u64,
    user_ns: u64,
    system_ns: u64,
    voluntary: u64,
    involuntary: u64,
    outcomes: Vec<serde_json::Value>,
    spans_us: Vec<Option<[u32; 2]>>,
}

/// A running Python peer.
struct Peer {
    name: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    last: Option<Measured>,
}

impl Peer {
    fn start(name: &'static str, s: &super::Settings) -> Result<Peer, String> {
        let python = std::env::var(PYTHON_ENV).map_err(|_| {
            format!("{PYTHON_ENV} is not set: the Python peers run under `fanout peers`")
        })?;
        let mut child = Command::new(&python)
            .arg(script())
            .arg(name)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {python}: {e}"))?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut peer = Peer {
            name,
            child,
            stdin: Some(stdin),
            stdout,
            last: None,
        };
        let setup = serde_json::json!({
            "timeout_s": s.client.timeout.as_secs_f64(),
            "k": s.k,
            "cpu_work": s.client.cpu_work,
        });
        let ready = peer.call(&setup)?;
        match ready.get("ready") {
            Some(serde_json::Value::Bool(true)) => Ok(peer),
            _ => Err(format!("python/{name} did not start: {ready}")),
        }
    }

    /// Sends one line, reads one line.
    fn call(&mut self, msg: &serde_json::Value) -> Result<serde_json::Value, String> {
        let stdin = self.stdin.as_mut().ok_or("the peer's input is closed")?;
        writeln!(stdin, "{msg}")
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("python/{}: cannot write to it: {e}", self.name))?;
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err(format!("python/{} ended without an answer", self.name)),
            Ok(_) => serde_json::from_str(&line)
                .map_err(|e| format!("python/{} answered {line:?}: {e}", self.name)),
            Err(e) => Err(format!("python/{}: cannot read from it: {e}", self.name)),
        }
    }
}

/// An outcome as Python writes it: `[status, bytes, crc32]` or `[kind, detail]`.
fn outcome(v: &serde_json::Value) -> Outcome {
    let a = v.as_array().map(Vec::as_slice).unwrap_or_default();
    match a {
        [status, bytes, crc] if status.is_u64() => Outcome::Response {
            status: status.as_u64().unwrap_or(0) as u16,
            bytes: bytes.as_u64().unwrap_or(0),
            checksum: crc.as_u64().unwrap_or(0) as u32,
        },
        [kind, detail] => {
            let kind = match kind.as_str() {
                Some("connect") => ErrorKind::Connect,
                Some("reset") => ErrorKind::Reset,
                Some("timeout") => ErrorKind::Timeout,
                Some("truncated") => ErrorKind::Truncated,
                _ => ErrorKind::Other,
            };
            Outcome::failed(kind, detail.as_str().unwrap_or_default())
        }
        _ => Outcome::failed(ErrorKind::Other, format!("the peer answered {v}")),
    }
}

impl Strategy for Peer {
    fn run(&mut self, requests: &[Request], _: Option<Heartbeat>) -> Vec<Outcome> {
        self.last = None;
        let urls: Vec<&str> = requests.iter().map(|r| &*r.url).collect();
        let reply = self
            .call(&serde_json::json!({ "urls": urls }))
            .and_then(|v| {
                serde_json::from_value::<Reply>(v).map_err(|e| format!("python/{}: {e}", self.name))
            });
        let reply = match reply {
            Ok(r) => r,
            Err(e) => {
                return (0..requests.len())
                    .map(|_| Outcome::failed(ErrorKind::Other, &e))
                    .collect()
            }
        };
        crate::probe::record_spans(&reply.spans_us);
        self.last = Some(Measured {
            wall: Duration::from_nanos(reply.wall_ns),
            usage: Usage {
                user_ns: reply.user_ns,
                system_ns: reply.system_ns,
                voluntary: reply.voluntary,
                involuntary: reply.involuntary,
            },
        });
        reply.outcomes.iter().map(outcome).collect()
    }

    fn measured(&mut self) -> Option<Measured> {
        self.last.take()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // End of input: the script closes its sessions and exits; a peer that does not within
        // a few seconds is ended by its PID.
        drop(self.stdin.take());
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_read_as_the_rust_side_writes_them() {
        let v: serde_json::Value =
            serde_json::from_str(r#"[[200, 1024, 4294967295], ["reset", "gone"], ["timeout", "late"], ["truncated", "short"], ["connect", "no"], ["weird", "?"], []]"#)
                .unwrap();
        let got: Vec<Outcome> = v.as_array().unwrap().iter().map(outcome).collect();
        assert_eq!(
            got[0],
            Outcome::Response {
                status: 200,
                bytes: 1024,
                checksum: u32::MAX
            }
        );
        let kinds: Vec<_> = got[1..].iter().map(|o| o.class().to_string()).collect();
        assert_eq!(
            kinds,
            ["reset", "timeout", "truncated", "connect", "other", "other"]
        );
    }

    #[test]
    fn every_peer_has_a_rust_counterpart_that_exists() {
        for (e, rust) in PEERS {
            assert!(e.info.id.starts_with("python/"));
            assert!(
                super::super::registry().iter().any(|r| r.info.id == *rust),
                "{rust}"
            );
            assert_eq!(counterpart(e.info.id), Some(*rust));
        }
        assert_eq!(PEERS.len(), 12);
    }
}
