//! The server under abuse: garbage, oversized heads, slow and idle clients. Each gets a 400 or a
//! closed connection, never a crash, and the server keeps answering correctly afterwards.

mod common;

use common::{agent, raw, server};
use mock_server::body::body_bytes;
use mock_server::{Config, ServerHandle};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn still_serves(s: &ServerHandle) {
    let mut r = agent(Duration::from_secs(5))
        .get(format!("{}/r/5?bytes=64", s.base_url()))
        .call()
        .expect("the server still answers");
    assert_eq!(r.body_mut().read_to_vec().unwrap(), body_bytes(5, 64));
}

#[test]
fn garbage_gets_a_400_or_a_close() {
    let s = server();
    for junk in [
        &b"\x00\x01\x02garbage\xff\xfe\r\n\r\n"[..],
        b"GET\r\n\r\n",
        b"GET /r/1 HTTP/9.9\r\n\r\n",
        b"HELLO WORLD\r\n\r\n",
        b"GET /r/1?bytes=5 HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
    ] {
        let text = raw(&s, junk, Duration::from_secs(2));
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 4"),
            "{junk:?} -> {text:?}"
        );
    }
    still_serves(&s);
}

#[test]
fn an_oversized_head_is_refused() {
    let s = server();
    let mut req = b"GET /r/1?bytes=5 HTTP/1.1\r\nhost: x\r\n".to_vec();
    for i in 0..2000 {
        req.extend_from_slice(format!("x-filler-{i}: {}\r\n", "y".repeat(40)).as_bytes());
    }
    req.extend_from_slice(b"\r\n");
    let text = raw(&s, &req, Duration::from_secs(2));
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 4"),
        "{text:?}"
    );
    let long_line = format!("GET /r/1?{} HTTP/1.1\r\n\r\n", "a".repeat(100_000));
    let text = raw(&s, long_line.as_bytes(), Duration::from_secs(2));
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 4"),
        "{text:?}"
    );
    still_serves(&s);
}

#[test]
fn slow_and_idle_clients_are_timed_out_while_others_are_served() {
    let s = mock_server::start(Config {
        idle_timeout: Duration::from_millis(500),
        ..Config::default()
    })
    .unwrap();
    let idle: Vec<TcpStream> = (0..200)
        .map(|_| TcpStream::connect(s.addr()).unwrap())
        .collect();
    let mut slow = TcpStream::connect(s.addr()).unwrap();
    let started = Instant::now();
    // A byte every 100 ms: the head never completes within the timeout.
    for b in b"GET /r/1 HTTP/1.1\r\n".iter().take(8) {
        if slow.write_all(&[*b]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    still_serves(&s);
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut out = Vec::new();
    let _ = slow.read_to_end(&mut out);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the slow client was never cut off"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.stats().connections_open > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        s.stats().connections_open,
        0,
        "idle connections must be closed"
    );
    drop(idle);
}

#[test]
fn out_of_range_and_non_numeric_parameters_in_bulk() {
    let s = server();
    let a = agent(Duration::from_secs(5));
    for q in [
        "lat_us=",
        "lat_us=1.5",
        "bytes=-1",
        "bytes=18446744073709551616",
        "fault=",
        "&&&=&",
    ] {
        let r = a.get(format!("{}/r/1?{q}", s.base_url())).call().unwrap();
        assert!(
            r.status() == 400 || (q == "&&&=&" && r.status() == 400),
            "{q}: {}",
            r.status()
        );
    }
    still_serves(&s);
}

/// More connections than the server may open files: the ones it cannot accept yet wait in the
/// kernel's queue, the server says why on stderr (naming the limit), counts it in /stats, and
/// serves them once descriptors free up. The binary runs with a hard limit of 64 open files.
#[test]
fn out_of_open_files_is_said_counted_and_survived() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mock-server"));
    cmd.args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe and touches only the child's own limits.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 64,
                rlim_max: 64,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    // Ended by its PID when the test ends, whether it passes or panics.
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Killed(cmd.spawn().expect("the mock-server binary starts"));
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let base = first
        .trim()
        .strip_prefix("mock-server listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_owned();
    let addr = base.trim_start_matches("http://").to_owned();
    let (lines, stderr_lines) = std::sync::mpsc::channel();
    let stderr = child.0.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });

    // 100 idle connections: the kernel completes them all, the server can accept only ~55.
    let idle: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    // Every line it writes is kept, so that a failure shows all the server said.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut said = Vec::new();
    while let Ok(line) =
        stderr_lines.recv_timeout(deadline.saturating_duration_since(Instant::now()))
    {
        let warned = line.contains("out of open files");
        said.push(line);
        if warned {
            break;
        }
    }
    let warning = said.last().filter(|l| l.contains("out of open files"));
    assert!(
        warning.is_some_and(|w| w.contains("the limit is 64")),
        "the server never said it is out of files, naming the limit; it wrote: {said:#?}"
    );
    drop(idle);

    // Descriptors free up: the server serves again, and the failures are counted.
    let agent = agent(Duration::from_secs(10));
    let mut r = agent
        .get(format!("{base}/r/5?bytes=64"))
        .call()
        .expect("the server answers once connections close");
    assert_eq!(r.body_mut().read_to_vec().unwrap(), body_bytes(5, 64));
    let stats: mock_server::Stats = serde_json::from_slice(
        &agent
            .get(format!("{base}/stats"))
            .call()
            .unwrap()
            .body_mut()
            .read_to_vec()
            .unwrap(),
    )
    .unwrap();
    assert!(stats.accept_errors > 0, "{stats:?}");
    // It never stopped: running out of files is survived, not fatal, at any moment after start.
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "the server exited; it wrote: {said:#?}"
    );
}
