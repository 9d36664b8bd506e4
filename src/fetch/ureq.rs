//! ureq 3: a blocking client. One [`ureq::Agent`] holds the connection pool.

use super::ClientConfig;
use crate::outcome::{Digest, ErrorKind, Outcome};
use std::io::{self, Read};
use std::net::{IpAddr, SocketAddr};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// An agent configured by the fairness rules: the workload's timeout over the whole call, an
/// idle pool big enough for the batch (ureq keeps 3 per host by default), non-200 statuses
/// returned as responses rather than errors, and an IP address taken as it is (see
/// [`IpLiteral`]).
pub fn agent(c: &ClientConfig) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(c.timeout))
        .http_status_as_error(false)
        .max_idle_connections(c.idle_per_host)
        .max_idle_connections_per_host(c.idle_per_host)
        .build();
    ureq::Agent::with_parts(config, DefaultConnector::default(), IpLiteral::default())
}

/// A resolver that takes an IP address in the URL as it is. With a timeout set, ureq 3.5's
/// default resolver starts a thread per call to resolve the host, even `127.0.0.1`, so that a
/// slow DNS answer can be abandoned (`resolve_async` in its resolver.rs); reqwest and hyper
/// parse an IP literal without one. That thread would be a cost of ureq's resolver on every
/// ureq-based strategy and on no other, which is not what this project compares. Host names
/// still go to ureq's own resolver.
#[derive(Debug, Default)]
pub struct IpLiteral(DefaultResolver);

impl Resolver for IpLiteral {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().unwrap_or("");
        let ip = host.trim_start_matches('[').trim_end_matches(']');
        match (ip.parse::<IpAddr>(), uri.port_u16()) {
            (Ok(ip), Some(port)) => {
                let mut addrs = self.empty();
                addrs.push(SocketAddr::new(ip, port));
                Ok(addrs)
            }
            _ => self.0.resolve(uri, config, timeout),
        }
    }
}

fn classify_call(e: &ureq::Error) -> ErrorKind {
    match e {
        ureq::Error::Timeout(_) => ErrorKind::Timeout,
        ureq::Error::ConnectionFailed => ErrorKind::Connect,
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::ConnectionRefused | io::ErrorKind::AddrNotAvailable => {
                ErrorKind::Connect
            }
            io::ErrorKind::TimedOut => ErrorKind::Timeout,
            _ => ErrorKind::Reset,
        },
        ureq::Error::Protocol(_) => ErrorKind::Reset,
        _ => ErrorKind::Other,
    }
}

fn classify_body(e: &io::Error) -> ErrorKind {
    // ureq reports its own timeout inside the body reader as an io::Error wrapping ureq::Error.
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>());
    if e.kind() == io::ErrorKind::TimedOut || matches!(inner, Some(ureq::Error::Timeout(_))) {
        ErrorKind::Timeout
    } else {
        ErrorKind::Truncated
    }
}

/// Fetches one URL and reads its whole body.
pub fn get(agent: &ureq::Agent, url: &str, cpu_work: u64) -> Outcome {
    let _span = crate::probe::span(url);
    let mut response = match agent.get(url).call() {
        Ok(r) => r,
        Err(e) => return Outcome::failed(classify_call(&e), super::describe(&e)),
    };
    let status = response.status().as_u16();
    let mut reader = response.body_mut().as_reader();
    let mut digest = Digest::default();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return digest.finish(status, cpu_work),
            Ok(n) => digest.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Outcome::failed(classify_body(&e), e),
        }
    }
}
