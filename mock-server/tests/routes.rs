//! Every route and fault of the server, over real HTTP on loopback.

mod common;

use common::{agent, raw, server};
use mock_server::body::body_bytes;
use mock_server::{Config, Limits, StartError};
use std::io::Read;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[test]
fn a_request_gets_its_documented_body_after_its_latency() {
    let s = server();
    let a = agent(Duration::from_secs(5));
    let started = Instant::now();
    let mut r = a
        .get(format!("{}/r/42?lat_us=30000&bytes=5000", s.base_url()))
        .call()
        .unwrap();
    let body = r.body_mut().read_to_vec().unwrap();
    let elapsed = started.elapsed();
    assert_eq!(r.status(), 200);
    assert_eq!(body, body_bytes(42, 5000));
    assert!(
        elapsed >= Duration::from_millis(30),
        "answered after {elapsed:?}"
    );
}

#[test]
fn large_bodies_arrive_whole() {
    let s = server();
    let mut r = agent(Duration::from_secs(20))
        .get(format!("{}/r/7?bytes={}", s.base_url(), 3 << 20))
        .call()
        .unwrap();
    let mut body = Vec::new();
    r.body_mut().as_reader().read_to_end(&mut body).unwrap();
    assert_eq!(body.len(), 3 << 20);
    assert_eq!(
        crc32fast::hash(&body),
        mock_server::body::expected_checksum(7, 3 << 20)
    );
}

#[test]
fn fault_500_answers_500() {
    let s = server();
    let r = agent(Duration::from_secs(5))
        .get(format!("{}/r/1?fault=500", s.base_url()))
        .call()
        .unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(s.stats().faults.status_500, 1);
}

#[test]
fn fault_reset_resets_the_connection_without_a_response() {
    let s = server();
    let err = agent(Duration::from_secs(5))
        .get(format!("{}/r/1?lat_us=1000&fault=reset", s.base_url()))
        .call()
        .unwrap_err();
    match err {
        ureq::Error::Io(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
        other => panic!("expected a reset, got {other:?}"),
    }
    assert_eq!(s.stats().faults.reset, 1);
    let text = raw(
        &s,
        b"GET /r/1?fault=reset HTTP/1.1\r\nhost: x\r\n\r\n",
        Duration::from_secs(2),
    );
    assert_eq!(text, "", "no byte of a response may be sent");
}

#[test]
fn fault_stall_outlasts_the_client_timeout_and_leaves_when_the_client_does() {
    let s = server();
    let started = Instant::now();
    let err = agent(Duration::from_millis(300))
        .get(format!("{}/r/1?bytes=10&fault=stall", s.base_url()))
        .call()
        .unwrap_err();
    assert!(matches!(err, ureq::Error::Timeout(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(s.stats().faults.stall, 1);
    // The client closed its connection: the stalled request must not stay in flight.
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.stats().in_flight > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(s.stats().in_flight, 0);
}

#[test]
fn a_stall_is_bounded_by_the_latency_cap() {
    let config = Config {
        limits: Limits {
            max_latency: Duration::from_millis(200),
            ..Limits::default()
        },
        ..Config::default()
    };
    let s = mock_server::start(config).unwrap();
    let started = Instant::now();
    let mut r = agent(Duration::from_secs(5))
        .get(format!("{}/r/3?bytes=10&fault=stall", s.base_url()))
        .call()
        .unwrap();
    assert_eq!(r.body_mut().read_to_vec().unwrap(), body_bytes(3, 10));
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[test]
fn fault_truncated_sends_the_head_and_half_the_body() {
    let s = server();
    let text = raw(
        &s,
        b"GET /r/1?bytes=100&fault=truncated HTTP/1.1\r\nhost: x\r\n\r\n",
        Duration::from_secs(2),
    );
    assert!(text.starts_with("HTTP/1.1 200"), "{text:?}");
    assert!(text.contains("content-length: 100"), "{text:?}");
    let mut r = agent(Duration::from_secs(5))
        .get(format!("{}/r/1?bytes=100&fault=truncated", s.base_url()))
        .call()
        .unwrap();
    let mut got = Vec::new();
    let err = r.body_mut().as_reader().read_to_end(&mut got).unwrap_err();
    assert_eq!(got, body_bytes(1, 50), "{err}");
    assert_eq!(s.stats().faults.truncated, 2);
}

#[test]
fn bad_parameters_get_a_400_with_a_one_line_reason() {
    let s = server();
    let a = agent(Duration::from_secs(5));
    let cases = [
        ("/r/x", "the id in /r/{id} must be an unsigned integer"),
        ("/r/1?lat_us=abc", "lat_us must be an unsigned integer"),
        (
            "/r/1?lat_us=60000001",
            "over the cap of 60000000 microseconds",
        ),
        ("/r/1?bytes=67108865", "over the cap of 67108864 bytes"),
        ("/r/1?fault=explode", "fault=\"explode\" is unknown"),
        ("/r/1?size=3", "unknown query parameter \"size\""),
    ];
    for (path, want) in cases {
        let mut r = a.get(format!("{}{path}", s.base_url())).call().unwrap();
        let body = r.body_mut().read_to_string().unwrap();
        assert_eq!(r.status(), 400, "{path}");
        assert!(body.contains(want), "{path}: {body:?}");
        assert_eq!(body.trim_end().lines().count(), 1, "{path}: {body:?}");
    }
    assert_eq!(s.stats().bad_requests, cases.len() as u64);
    assert_eq!(s.stats().requests, 0, "refused requests are not served");
}

#[test]
fn other_routes_and_methods_are_refused_cleanly() {
    let s = server();
    let a = agent(Duration::from_secs(5));
    assert_eq!(
        a.get(format!("{}/nope", s.base_url()))
            .call()
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        a.post(format!("{}/r/1", s.base_url()))
            .send("")
            .unwrap()
            .status(),
        405
    );
    let mut r = a.get(format!("{}/", s.base_url())).call().unwrap();
    assert!(r.body_mut().read_to_string().unwrap().contains("/stats"));
}

#[test]
fn counters_count_connections_requests_and_concurrency() {
    let s = server();
    let a = agent(Duration::from_secs(5));
    for i in 0..5 {
        a.get(format!("{}/r/{i}?bytes=10", s.base_url()))
            .call()
            .unwrap()
            .body_mut()
            .read_to_vec()
            .unwrap();
    }
    let st = s.stats();
    assert_eq!(
        (st.requests, st.connections_used, st.peak_in_flight),
        (5, 1, 1),
        "{st:?}"
    );

    s.reset_stats();
    std::thread::scope(|scope| {
        for i in 0..8 {
            let a = agent(Duration::from_secs(5));
            let url = format!("{}/r/{i}?lat_us=300000", s.base_url());
            scope.spawn(move || a.get(url).call().unwrap().body_mut().read_to_vec().unwrap());
        }
    });
    let st = s.stats();
    assert_eq!(
        (st.requests, st.connections_used, st.in_flight),
        (8, 8, 0),
        "{st:?}"
    );
    assert_eq!(st.peak_in_flight, 8, "{st:?}");
}

#[test]
fn stats_over_http_match_the_library_and_reset() {
    let s = server();
    let a = agent(Duration::from_secs(5));
    a.get(format!("{}/r/1?fault=500", s.base_url()))
        .call()
        .unwrap();
    let mut r = a.get(format!("{}/stats", s.base_url())).call().unwrap();
    let over_http: mock_server::Stats =
        serde_json::from_slice(&r.body_mut().read_to_vec().unwrap()).unwrap();
    assert_eq!(over_http.requests, 1);
    assert_eq!(over_http.faults.status_500, 1);
    assert_eq!(over_http.requests, s.stats().requests);
    let mut r = a
        .post(format!("{}/stats/reset", s.base_url()))
        .send("")
        .unwrap();
    let after: mock_server::Stats =
        serde_json::from_slice(&r.body_mut().read_to_vec().unwrap()).unwrap();
    assert_eq!((after.requests, after.faults.total()), (0, 0));
    assert_eq!(s.stats().requests, 0);
}

#[test]
fn only_loopback_is_allowed_by_default() {
    let config = Config {
        addr: "0.0.0.0:0".parse::<SocketAddr>().unwrap(),
        ..Config::default()
    };
    let err = mock_server::start(config).err().expect("refused");
    assert!(matches!(err, StartError::NotLoopback(_)));
    assert!(err.to_string().contains("--allow-non-loopback"), "{err}");
    let v6 = Config {
        addr: "[::1]:0".parse().unwrap(),
        ..Config::default()
    };
    if let Ok(s) = mock_server::start(v6) {
        assert!(s.base_url().starts_with("http://[::1]:"));
    }
}

#[test]
fn impossible_configurations_are_refused() {
    let zero = Config {
        threads: 0,
        ..Config::default()
    };
    assert!(matches!(
        mock_server::start(zero),
        Err(StartError::NoThreads)
    ));
    let core = Config {
        pin_cores: vec![4096],
        ..Config::default()
    };
    let err = mock_server::start(core).err().unwrap().to_string();
    assert!(err.contains("core 4096"), "{err}");
    let taken = server();
    let again = Config {
        addr: taken.addr(),
        ..Config::default()
    };
    let err = mock_server::start(again).err().unwrap().to_string();
    assert!(err.contains(&taken.addr().to_string()), "{err}");
}

#[test]
fn a_multi_threaded_pinned_server_serves_too() {
    let config = Config {
        threads: 2,
        pin_cores: vec![0],
        ..Config::default()
    };
    let s = mock_server::start(config).unwrap();
    let mut r = agent(Duration::from_secs(5))
        .get(format!("{}/r/9?bytes=99", s.base_url()))
        .call()
        .unwrap();
    assert_eq!(r.body_mut().read_to_vec().unwrap(), body_bytes(9, 99));
}

#[test]
fn the_servers_cpu_counts_its_own_work_and_not_the_callers() {
    let s = server();
    let a = agent(Duration::from_secs(20));
    s.reset_stats();
    // The caller burns CPU: none of it is the server's.
    let burn = Instant::now();
    while burn.elapsed() < Duration::from_millis(50) {
        std::hint::black_box(0);
    }
    let idle = s.stats().cpu_ns;
    assert!(
        idle < 20_000_000,
        "the caller's 50 ms spin counted as server CPU: {idle} ns"
    );
    // Serving 32 MiB costs the server the writes.
    for id in 0..8 {
        let mut r = a
            .get(format!("{}/r/{id}?bytes={}", s.base_url(), 4 << 20))
            .call()
            .unwrap();
        let mut body = Vec::new();
        r.body_mut().as_reader().read_to_end(&mut body).unwrap();
    }
    let busy = s.stats().cpu_ns;
    assert!(
        busy > idle,
        "serving 32 MiB cost the server nothing: {busy} ns"
    );
    s.reset_stats();
    assert!(s.stats().cpu_ns < busy, "a reset did not restart the count");
}

#[test]
fn a_delay_ends_at_its_deadline_never_before() {
    // Timer precision is a figure (`fanout calibrate`); this only checks the floor of the wait
    // for delays that are not whole milliseconds, which tokio's timer would round.
    let s = server();
    let a = agent(Duration::from_secs(5));
    for lat_us in [1, 250, 1500, 2750] {
        let started = Instant::now();
        a.get(format!("{}/r/1?lat_us={lat_us}", s.base_url()))
            .call()
            .unwrap();
        let took = started.elapsed();
        assert!(
            took >= Duration::from_micros(lat_us),
            "lat_us={lat_us} answered after {took:?}"
        );
    }
}
