//! The server itself: a hyper HTTP/1.1 server on its own tokio runtime and OS threads.
//!
//! The accept loop and every connection live on the server's runtime, never the caller's, so the
//! server keeps its timing when the client under test is busy, and a handle dropped anywhere
//! stops it: stop accepting, let requests in progress finish for a short grace period, then drop
//! whatever remains (stalled requests included).

use crate::body::Body;
use crate::config::{Config, StartError};
use crate::cpu::ThreadClocks;
use crate::params::{Fault, Limits, Params};
use crate::stats::{Counters, Stats};
use crate::timer::Timer;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A running server. Dropping it shuts the server down and waits for its threads.
pub struct ServerHandle {
    addr: SocketAddr,
    counters: Arc<Counters>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// The address the server listens on (with the port the OS chose, if 0 was asked).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The counters since the last reset.
    pub fn stats(&self) -> Stats {
        self.counters.snapshot()
    }

    /// Zeroes the event counters (see [`Stats`]).
    pub fn reset_stats(&self) {
        self.counters.reset()
    }

    /// Stops the server and waits until its threads have ended.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Starts a server on its own threads and returns once it accepts connections.
pub fn start(config: Config) -> Result<ServerHandle, StartError> {
    config.validate()?;
    let listener = bind(config.addr).map_err(|source| StartError::Bind {
        addr: config.addr,
        source,
    })?;
    let addr = listener.local_addr().map_err(StartError::Runtime)?;
    listener
        .set_nonblocking(true)
        .map_err(StartError::Runtime)?;
    let counters = Arc::new(Counters::default());
    let clocks = counters.clocks.clone();
    let runtime = build_runtime(&config, clocks.clone()).map_err(StartError::Runtime)?;
    let (stop, stopped) = oneshot::channel();
    let timer = {
        let _inside = runtime.enter();
        let timer = Timer::new().map_err(StartError::Runtime)?;
        runtime.spawn(timer.clone().drive());
        timer
    };
    let shared = Arc::new(Shared {
        counters: counters.clone(),
        limits: config.limits,
        timer,
        cpu_per_request: config.cpu_per_request,
    });
    let pin = config
        .pin_cores
        .first()
        .copied()
        .filter(|_| config.threads == 1);
    let thread = std::thread::Builder::new()
        .name("mock-server".into())
        .spawn(move || {
            if let Some(core) = pin {
                core_affinity::set_for_current(core_affinity::CoreId { id: core });
            }
            clocks.register_current();
            runtime.block_on(serve(listener, config, shared, stopped));
            runtime.shutdown_timeout(Duration::from_millis(100));
            clocks.retire_current();
        })
        .map_err(StartError::Runtime)?;
    Ok(ServerHandle {
        addr,
        counters,
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// Binds with a deep accept queue: std's default backlog of 128 would drop the SYNs of a batch
/// that opens a thousand connections at once, and the kernel's one-second retransmit would then
/// show up as latency the server never added.
fn bind(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(4096)?;
    Ok(socket.into())
}

fn build_runtime(
    config: &Config,
    clocks: Arc<ThreadClocks>,
) -> std::io::Result<tokio::runtime::Runtime> {
    if config.threads == 1 {
        return tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
    }
    let cores = config.pin_cores.clone();
    let next = AtomicUsize::new(0);
    let stopping = clocks.clone();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.threads)
        .thread_name("mock-server-worker")
        .on_thread_start(move || {
            if !cores.is_empty() {
                let i = next.fetch_add(1, Ordering::Relaxed) % cores.len();
                core_affinity::set_for_current(core_affinity::CoreId { id: cores[i] });
            }
            clocks.register_current();
        })
        .on_thread_stop(move || stopping.retire_current())
        .enable_all()
        .build()
}

/// What every connection shares.
struct Shared {
    counters: Arc<Counters>,
    limits: Limits,
    /// Ends the requests' delays exactly.
    timer: Arc<Timer>,
    /// Spent on every `/r/` request (see [`Config::cpu_per_request`]).
    cpu_per_request: Duration,
}

/// One connection's state, shared by its requests and its socket.
struct Conn {
    shared: Arc<Shared>,
    /// Set by the first `/r/` request, so each connection is counted as used once.
    used: AtomicBool,
    /// Set by a `fault=reset` request: the socket then ends with RST instead of FIN.
    reset: AtomicBool,
}

/// The connection's socket, which ends with a reset when its connection asked for one: it sets
/// SO_LINGER 0 just before it closes, so the close sends RST and no FIN is ever sent. One
/// descriptor per connection (a second handle on the socket would double the server's open files
/// and run a 10,000-connection batch into the open-files limit).
struct ConnStream {
    stream: TcpStream,
    conn: Arc<Conn>,
}

impl ConnStream {
    fn resetting(&self) -> bool {
        let reset = self.conn.reset.load(Ordering::Relaxed);
        if reset {
            let _ = socket2::SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
        }
        reset
    }
}

impl Drop for ConnStream {
    fn drop(&mut self) {
        self.resetting();
    }
}

impl tokio::io::AsyncRead for ConnStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for ConnStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if self.resetting() {
            // No FIN: the close that follows sends the RST.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

async fn serve(
    listener: std::net::TcpListener,
    config: Config,
    shared: Arc<Shared>,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("mock-server: cannot register the listener: {e}");
            return;
        }
    };
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.idle_timeout)
        .max_buf_size(config.max_head_bytes)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let mut last_warned = None;
    loop {
        let stream = tokio::select! {
            biased;
            _ = &mut stopped => break,
            // Unconstrained: drain the accept queue before yielding to the connections, so
            // that during a burst of thousands of connects new connections do not wait behind
            // request handling for tokio's cooperative budget.
            accepted = tokio::task::unconstrained(listener.accept()) => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of open files, or a connection aborted before accept: count it, say
                    // so (at most every few seconds), wait for a descriptor to free, go on.
                    shared.counters.accept_failed();
                    if last_warned.is_none_or(|t: Instant| t.elapsed() > Duration::from_secs(5)) {
                        last_warned = Some(Instant::now());
                        eprintln!("mock-server: {}", accept_error(&e));
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        shared.counters.connection_opened();
        let conn = Arc::new(Conn {
            shared: shared.clone(),
            used: AtomicBool::new(false),
            reset: AtomicBool::new(false),
        });
        let stream = ConnStream {
            stream,
            conn: conn.clone(),
        };
        let service = hyper::service::service_fn(move |req| handle(req, conn.clone()));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        let counters = shared.counters.clone();
        tokio::spawn(async move {
            let _ = connection.await;
            counters.connection_closed();
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(config.grace) => {}
    }
}

/// What a failed accept means, in words: a connection left waiting is a stall the client will
/// see, and running out of open files is the usual cause.
fn accept_error(e: &std::io::Error) -> String {
    if crate::rlimit::is_out_of_files(e) {
        let limit = crate::rlimit::open_files_limit()
            .map_or_else(String::new, |n| format!(" (the limit is {n})"));
        format!(
            "cannot accept a connection: {e}: out of open files{limit}, so new connections wait \
             in the kernel's queue until one closes; raise `ulimit -n` or open fewer connections"
        )
    } else {
        format!("cannot accept a connection: {e}")
    }
}

/// Returned by the service to drop the connection without a response.
#[derive(Debug, thiserror::Error)]
#[error("connection reset on purpose (fault=reset)")]
struct ResetOnPurpose;

async fn handle(req: Request<Incoming>, conn: Arc<Conn>) -> Result<Response<Body>, ResetOnPurpose> {
    let counters = &conn.shared.counters;
    let uri = req.uri();
    if let Some(id) = uri.path().strip_prefix("/r/") {
        if req.method() != Method::GET {
            return Ok(text(
                StatusCode::METHOD_NOT_ALLOWED,
                "only GET is served on /r/\n",
            ));
        }
        return match Params::parse(id, uri.query(), &conn.shared.limits) {
            Ok(params) => respond(params, &conn).await,
            Err(e) => {
                counters.bad_request();
                Ok(text(StatusCode::BAD_REQUEST, format!("{e}\n")))
            }
        };
    }
    Ok(match (req.method(), uri.path()) {
        (&Method::GET, "/stats") => json(&counters.snapshot()),
        (&Method::POST, "/stats/reset") => {
            counters.reset();
            json(&counters.snapshot())
        }
        (&Method::GET, "/") => text(StatusCode::OK, crate::USAGE),
        _ => text(StatusCode::NOT_FOUND, "no such route; GET / lists them\n"),
    })
}

async fn respond(p: Params, conn: &Conn) -> Result<Response<Body>, ResetOnPurpose> {
    let arrived = Instant::now();
    let counters = &conn.shared.counters;
    if !conn.used.swap(true, Ordering::Relaxed) {
        counters.connection_used();
    }
    let _in_flight = counters.request_started();
    if let Some(fault) = p.fault {
        counters.fault(fault);
    }
    if !conn.shared.cpu_per_request.is_zero() {
        crate::cpu::burn(conn.shared.cpu_per_request);
    }
    match p.fault {
        // A stall only has to outlast the client's timeout: tokio's coarse timer will do.
        Some(Fault::Stall) => tokio::time::sleep(conn.shared.limits.max_latency).await,
        _ if !p.latency.is_zero() => conn.shared.timer.sleep_until(arrived + p.latency).await,
        _ => {}
    }
    Ok(match p.fault {
        None | Some(Fault::Stall) => body(StatusCode::OK, Body::pattern(p.id, p.bytes)),
        Some(Fault::Status500) => text(StatusCode::INTERNAL_SERVER_ERROR, "injected fault: 500\n"),
        Some(Fault::Truncated) => body(StatusCode::OK, Body::truncated(p.id, p.bytes)),
        Some(Fault::Reset) => {
            // The error ends the connection; its socket then closes with RST (see ConnStream).
            conn.reset.store(true, Ordering::Relaxed);
            return Err(ResetOnPurpose);
        }
    })
}

fn body(status: StatusCode, body: Body) -> Response<Body> {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    r
}

fn text(status: StatusCode, s: impl Into<bytes::Bytes>) -> Response<Body> {
    let mut r = body(status, Body::text(s));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn json(stats: &Stats) -> Response<Body> {
    let mut r = body(
        StatusCode::OK,
        Body::text(serde_json::to_vec(stats).unwrap_or_default()),
    );
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}
