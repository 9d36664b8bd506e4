//! reqwest 0.13: the async client on tokio, and `reqwest::blocking`, which forwards every call
//! to one internal thread running its own tokio runtime (a hidden sync-to-async bridge).

use super::ClientConfig;
use crate::outcome::{Digest, ErrorKind, Outcome};

/// The async client: total timeout per request, unbounded idle pool (reqwest's default, which
/// already keeps enough connections for any batch), no proxy lookup, HTTP/1.1 only.
pub fn client(c: &ClientConfig) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(c.timeout)
        .pool_max_idle_per_host(c.idle_per_host)
        .no_proxy()
        .http1_only()
        .build()
}

/// The blocking client, configured the same way.
pub fn blocking_client(c: &ClientConfig) -> reqwest::Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .timeout(c.timeout)
        .pool_max_idle_per_host(c.idle_per_host)
        .no_proxy()
        .http1_only()
        .build()
}

fn classify_send(e: &reqwest::Error) -> ErrorKind {
    if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_connect() {
        ErrorKind::Connect
    } else {
        ErrorKind::Reset
    }
}

fn classify_body(e: &reqwest::Error) -> ErrorKind {
    if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Truncated
    }
}

/// Fetches one URL with the async client and reads its whole body.
pub async fn get(client: &reqwest::Client, url: &str, cpu_work: u64) -> Outcome {
    let _span = crate::probe::span(url);
    let mut response = match client.get(url).send().await {
        Ok(r) => r,
        Err(e) => return Outcome::failed(classify_send(&e), super::describe(&e)),
    };
    let status = response.status().as_u16();
    let mut digest = Digest::default();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => digest.update(&chunk),
            Ok(None) => return digest.finish(status, cpu_work),
            Err(e) => return Outcome::failed(classify_body(&e), e),
        }
    }
}

/// Fetches one URL with the blocking client and reads its whole body.
pub fn get_blocking(client: &reqwest::blocking::Client, url: &str, cpu_work: u64) -> Outcome {
    let _span = crate::probe::span(url);
    let mut response = match client.get(url).send() {
        Ok(r) => r,
        Err(e) => return Outcome::failed(classify_send(&e), super::describe(&e)),
    };
    let status = response.status().as_u16();
    let mut digest = Digest::default();
    match response.copy_to(&mut digest) {
        Ok(_) => digest.finish(status, cpu_work),
        Err(e) => Outcome::failed(classify_body(&e), e),
    }
}
