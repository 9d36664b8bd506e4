//! Helpers shared by the server's tests: a plain blocking client and raw sockets, on loopback.
#![allow(dead_code)]

use mock_server::{Config, ServerHandle};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub fn server() -> ServerHandle {
    mock_server::start(Config::default()).expect("the server starts on loopback")
}

pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_idle_connections_per_host(64)
        .build()
        .into()
}

/// Sends `bytes` on a fresh connection and returns everything the server sends back until it
/// closes or `wait` passes.
pub fn raw(server: &ServerHandle, bytes: &[u8], wait: Duration) -> String {
    let mut s = TcpStream::connect(server.addr()).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}
