//! The machine's limits, met with a clear message before a run rather than a failure in the
//! middle of one: open files (every connection is a descriptor), and what an EADDRNOTAVAIL
//! from connect means.

pub use mock_server::raise_open_files;

/// Descriptors a batch of `requests` may hold at once: one per connection on the client, one
/// per connection on the server when it runs in this process, and a margin for everything else.
pub fn descriptors_needed(requests: usize, server_in_process: bool) -> u64 {
    let per_connection = if server_in_process { 2 } else { 1 };
    requests as u64 * per_connection + 256
}

/// A workload that needs more descriptors than the process may open.
#[derive(Debug, thiserror::Error)]
#[error(
    "workload {workload:?} may open {needed} files at once ({requests} connections and a margin), \
     but this process may open only {soft} (hard limit {hard}); raise the limit (`ulimit -n {needed}` \
     in the shell that runs it) or lower `requests`"
)]
pub struct TooFewFiles {
    pub workload: String,
    pub requests: usize,
    pub needed: u64,
    pub soft: u64,
    pub hard: u64,
}

/// Checks that a workload of `requests` fits the open-files limit (after raising it).
pub fn check_open_files(
    workload: &str,
    requests: usize,
    server_in_process: bool,
) -> Result<(), TooFewFiles> {
    let (soft, hard) = raise_open_files();
    let needed = descriptors_needed(requests, server_in_process);
    if soft != 0 && needed > soft {
        return Err(TooFewFiles {
            workload: workload.to_owned(),
            requests,
            needed,
            soft,
            hard,
        });
    }
    Ok(())
}

fn read_number(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The most threads this process may start, and which limit says so: the kernel's
/// `threads-max`, the cgroup's `pids.max`, and RLIMIT_NPROC.
pub fn thread_limit() -> Option<(u64, &'static str)> {
    let mut limits = vec![];
    if let Some(n) = read_number("/proc/sys/kernel/threads-max") {
        limits.push((n, "/proc/sys/kernel/threads-max"));
    }
    if let Some(n) = read_number("/sys/fs/cgroup/pids.max") {
        limits.push((n, "the cgroup's pids.max"));
    }
    // SAFETY: getrlimit writes the struct we own.
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    if unsafe { libc::getrlimit(libc::RLIMIT_NPROC, &mut lim) } == 0
        && lim.rlim_cur != libc::RLIM_INFINITY
    {
        limits.push((lim.rlim_cur, "RLIMIT_NPROC (ulimit -u)"));
    }
    limits.into_iter().min()
}

/// Checks that `threads` more threads fit under the thread limit, with room to spare.
pub fn check_threads(threads: usize) -> Result<(), String> {
    let Some((limit, which)) = thread_limit() else {
        return Ok(());
    };
    let current = std::fs::read_dir("/proc/self/task").map_or(0, |d| d.count()) as u64;
    let needed = threads as u64 + current + 64;
    if needed > limit {
        return Err(format!(
            "one thread per request needs {needed} threads (N = {threads} plus {current} running \
             and a margin), over the limit of {limit} set by {which}"
        ));
    }
    Ok(())
}

/// What a connect error means, when it is one the machine's limits cause.
pub fn explain_connect(kind: std::io::ErrorKind) -> Option<&'static str> {
    match kind {
        std::io::ErrorKind::AddrNotAvailable => Some(
            "EADDRNOTAVAIL: no free local port for a new connection to this server (ephemeral \
             ports exhausted, often by connections left in TIME_WAIT); reuse connections, widen \
             net.ipv4.ip_local_port_range, or lower N",
        ),
        _ if kind.to_string().contains("too many open files") => {
            Some("EMFILE: the open-files limit was reached; raise it with `ulimit -n` or lower N")
        }
        _ => None,
    }
}

/// The first `io::ErrorKind` in an error's source chain.
pub fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_raised_to_the_hard_limit() {
        let (soft, hard) = raise_open_files();
        assert_eq!(soft, hard);
    }

    #[test]
    fn a_workload_over_the_limit_is_refused_before_it_runs() {
        let (soft, _) = raise_open_files();
        let too_many = (soft as usize).saturating_add(1);
        let err = check_open_files("huge", too_many, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("workload \"huge\"") && err.contains("ulimit -n"),
            "{err}"
        );
        assert!(check_open_files("small", 10, true).is_ok());
    }

    #[test]
    fn eaddrnotavail_is_explained() {
        let why = explain_connect(std::io::ErrorKind::AddrNotAvailable).unwrap();
        assert!(why.contains("ephemeral ports") && why.contains("ip_local_port_range"));
        let e = std::io::Error::new(std::io::ErrorKind::AddrNotAvailable, "x");
        assert_eq!(io_kind(&e), Some(std::io::ErrorKind::AddrNotAvailable));
    }
}
