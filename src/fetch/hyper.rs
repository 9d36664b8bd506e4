//! hyper 1 through hyper-util's pooled client, on any runtime: the same client stack for tokio,
//! async-std and smol, so that differences between the `gather/*-hyper` strategies are the
//! runtime's. Only the executor, the timer and the TCP connector change.

use super::ClientConfig;
use crate::outcome::{Digest, ErrorKind, Outcome};
use bytes::Bytes;
use futures::future::{self, BoxFuture, Either};
use http_body_util::{BodyExt, Empty};
use hyper::Uri;
use hyper_util::client::legacy::connect::{Connect, Connected, Connection, HttpConnector};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use smol_hyper::rt::FuturesIo;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A pooled client with keep-alive and an idle pool big enough for the batch.
pub type PooledClient<C> = Client<C, Empty<Bytes>>;

fn builder<E>(executor: E, c: &ClientConfig) -> hyper_util::client::legacy::Builder
where
    E: hyper::rt::Executor<Pin<Box<dyn Future<Output = ()> + Send>>>
        + Send
        + Sync
        + Clone
        + 'static,
{
    let mut b = Client::builder(executor);
    b.pool_max_idle_per_host(c.idle_per_host);
    b
}

/// The client on tokio, with hyper-util's own connector (TCP_NODELAY on, like the others).
pub fn tokio_client(c: &ClientConfig) -> PooledClient<HttpConnector> {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    builder(TokioExecutor::new(), c)
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .build(connector)
}

/// The client on any runtime whose sockets implement the `futures` IO traits (smol,
/// async-std), with that runtime's executor and async-io's timer.
pub fn futures_client<E, T>(
    executor: E,
    connect: fn(String) -> BoxFuture<'static, io::Result<T>>,
    c: &ClientConfig,
) -> PooledClient<FuturesConnector<T>>
where
    E: hyper::rt::Executor<Pin<Box<dyn Future<Output = ()> + Send>>>
        + Send
        + Sync
        + Clone
        + 'static,
    T: futures::AsyncRead + futures::AsyncWrite + Unpin + Send + 'static,
{
    builder(executor, c)
        .timer(smol_hyper::rt::SmolTimer::new())
        .pool_timer(smol_hyper::rt::SmolTimer::new())
        .build(FuturesConnector { connect })
}

/// Fetches one URL and reads its whole body, racing `deadline` (the runtime's own sleep for
/// the workload's timeout).
pub async fn get<C, S>(client: &PooledClient<C>, url: &str, cpu_work: u64, deadline: S) -> Outcome
where
    C: Connect + Clone + Send + Sync + 'static,
    S: Future,
{
    let _span = crate::probe::span(url);
    let fetch = async {
        let uri: Uri = match url.parse() {
            Ok(u) => u,
            Err(e) => return Outcome::failed(ErrorKind::Other, e),
        };
        let response = match client.get(uri).await {
            Ok(r) => r,
            Err(e) if e.is_connect() => {
                return Outcome::failed(ErrorKind::Connect, super::describe(&e))
            }
            Err(e) => return Outcome::failed(ErrorKind::Reset, e),
        };
        let status = response.status().as_u16();
        let mut body = response.into_body();
        let mut digest = Digest::default();
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(frame) => {
                    if let Some(data) = frame.data_ref() {
                        digest.update(data);
                    }
                }
                Err(e) => return Outcome::failed(ErrorKind::Truncated, e),
            }
        }
        digest.finish(status, cpu_work)
    };
    match future::select(Box::pin(fetch), Box::pin(deadline)).await {
        Either::Left((outcome, _)) => outcome,
        Either::Right(_) => Outcome::failed(ErrorKind::Timeout, "the workload's timeout passed"),
    }
}

/// Connects with a runtime's own TCP stream type.
pub struct FuturesConnector<T> {
    connect: fn(String) -> BoxFuture<'static, io::Result<T>>,
}

impl<T> Clone for FuturesConnector<T> {
    fn clone(&self) -> Self {
        FuturesConnector {
            connect: self.connect,
        }
    }
}

impl<T: Send + 'static> tower_service::Service<Uri> for FuturesConnector<T> {
    type Response = FuturesConn<T>;
    type Error = io::Error;
    type Future = BoxFuture<'static, io::Result<FuturesConn<T>>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let host = uri.host().unwrap_or("127.0.0.1").to_owned();
        let addr = format!("{host}:{}", uri.port_u16().unwrap_or(80));
        let connect = (self.connect)(addr);
        Box::pin(async move { Ok(FuturesConn(FuturesIo::new(connect.await?))) })
    }
}

/// A `futures` IO stream made usable by hyper.
pub struct FuturesConn<T>(FuturesIo<T>);

impl<T> Connection for FuturesConn<T> {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl<T: futures::AsyncRead + Unpin> hyper::rt::Read for FuturesConn<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<T: futures::AsyncWrite + Unpin> hyper::rt::Write for FuturesConn<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// Connects a smol TCP stream with TCP_NODELAY.
pub fn smol_connect(addr: String) -> BoxFuture<'static, io::Result<smol::net::TcpStream>> {
    Box::pin(async move {
        let s = smol::net::TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        Ok(s)
    })
}

/// Connects an async-std TCP stream with TCP_NODELAY.
pub fn async_std_connect(
    addr: String,
) -> BoxFuture<'static, io::Result<async_std::net::TcpStream>> {
    Box::pin(async move {
        let s = async_std::net::TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        Ok(s)
    })
}

/// Spawns hyper's background tasks (connections, pool) onto async-std's global executor.
#[derive(Clone, Copy, Debug, Default)]
pub struct AsyncStdExecutor;

impl<F> hyper::rt::Executor<F> for AsyncStdExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, fut: F) {
        async_std::task::spawn(fut);
    }
}
