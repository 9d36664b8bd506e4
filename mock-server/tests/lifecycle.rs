//! Starting and dropping servers leaks no thread and no port. (Its own test binary, so that no
//! other test's threads are counted.)

use std::net::TcpStream;
use std::time::{Duration, Instant};

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count())
}

#[test]
fn dropped_servers_leave_no_threads_and_free_their_ports() {
    let before = threads();
    for threads_per_server in [1, 2, 1] {
        let s = mock_server::start(mock_server::Config {
            threads: threads_per_server,
            ..Default::default()
        })
        .unwrap();
        let addr = s.addr();
        // A connection still open at shutdown must not keep the server alive.
        let _open = TcpStream::connect(addr).unwrap();
        let started = Instant::now();
        drop(s);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "shutdown took {:?}",
            started.elapsed()
        );
        assert!(
            TcpStream::connect(addr).is_err(),
            "{addr} still accepts after drop"
        );
    }
    // A joined thread can stay listed in /proc for a moment after `join` returns; a leaked one
    // stays for good. Wait up to a second for the count to come back.
    let deadline = Instant::now() + Duration::from_secs(1);
    while threads() > before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(threads(), before, "threads leaked");
}
