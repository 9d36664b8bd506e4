//! `mock-server`: run the mock server standalone, so a harness in another process (or on another
//! host, or in another language) can hit the same server as `cargo bench` does.

use clap::Parser;
use mock_server::{Config, Limits};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

/// A stateless HTTP mock server: every response's delay, size and fault is encoded in its URL.
#[derive(Parser, Debug)]
#[command(version, after_help = mock_server::USAGE)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Allow an address other than loopback (the server is then reachable from the network).
    #[arg(long)]
    allow_non_loopback: bool,
    /// Worker threads.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    threads: u16,
    /// Pin worker threads to these CPU cores, e.g. `--pin 1` or `--pin 2,3`.
    #[arg(long, value_delimiter = ',')]
    pin: Vec<usize>,
    /// Longest latency a request may ask for, and how long a stall lasts, in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    max_latency_ms: u64,
    /// Largest body a request may ask for, in bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024)]
    max_bytes: u64,
    /// Seconds a connection may stay idle (or take to send a request head).
    #[arg(long, default_value_t = 30)]
    idle_timeout_s: u64,
    /// CPU microseconds to spend on every /r/ request (a slow handler: makes the server the
    /// bottleneck on purpose).
    #[arg(long, default_value_t = 0)]
    cpu_us: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Every connection is an open file: take all the process may have.
    let open_files = mock_server::raise_open_files().map_or(0, |(soft, _)| soft);
    let config = Config {
        addr: args.addr,
        allow_non_loopback: args.allow_non_loopback,
        threads: args.threads.into(),
        pin_cores: args.pin,
        limits: Limits {
            max_latency: Duration::from_millis(args.max_latency_ms),
            max_bytes: args.max_bytes,
        },
        idle_timeout: Duration::from_secs(args.idle_timeout_s),
        cpu_per_request: Duration::from_micros(args.cpu_us),
        ..Config::default()
    };
    // Take the descriptors the waiting needs before the first connection can take them all.
    let waiter = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime builds");
    let signals = waiter.block_on(async {
        use tokio::signal::unix::{signal, SignalKind};
        Ok::<_, std::io::Error>((
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        ))
    });
    let (mut interrupt, mut terminate) = match signals {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mock-server: cannot wait for Ctrl-C or SIGTERM: {e}");
            return ExitCode::from(2);
        }
    };
    let server = match mock_server::start(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mock-server: {e}");
            return ExitCode::from(2);
        }
    };
    if !server.addr().ip().is_loopback() {
        eprintln!(
            "mock-server: WARNING: listening on {}, which is not loopback: reachable from the network",
            server.addr()
        );
    }
    println!("mock-server listening on {}", server.base_url());
    if open_files > 0 {
        println!("open-files limit {open_files}: at most that many connections at once");
    }
    println!(
        "try: curl '{}/r/1?lat_us=10000&bytes=16'",
        server.base_url()
    );
    waiter.block_on(async {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    });
    eprintln!("mock-server: shutting down");
    server.shutdown();
    ExitCode::SUCCESS
}
