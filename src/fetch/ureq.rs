//! ureq 3: a blocking client. One [`ureq::Agent`] holds the connection pool.

use super::ClientConfig;
use crate::outcome::{Digest, ErrorKind, Outcome};
use std::io::{self, Read};

/// An agent configured by the fairness rules: the workload's timeout over the whole call, an
/// idle pool big enough for the batch (ureq keeps 3 per host by default), non-200 statuses
/// returned as responses rather than errors.
pub fn agent(c: &ClientConfig) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(c.timeout))
        .http_status_as_error(false)
        .max_idle_connections(c.idle_per_host)
        .max_idle_connections_per_host(c.idle_per_host)
        .build()
        .into()
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
