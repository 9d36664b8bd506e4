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
    // A limit that cannot be read is not checked: the run then meets it, with EMFILE explained.
    let Ok((soft, hard)) = raise_open_files() else {
        return Ok(());
    };
    let needed = descriptors_needed(requests, server_in_process);
    if needed > soft {
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

/// This process's cgroup directory under /sys/fs/cgroup, from /proc/self/cgroup: the unified
/// (v2) hierarchy's line `0::/PATH`, or the v1 `pids` controller's `N:pids:/PATH`.
fn cgroup_pids_dir(proc_self_cgroup: &str) -> Option<String> {
    proc_self_cgroup.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let path = path.trim_end_matches('/');
        match controllers {
            "" => Some(format!("/sys/fs/cgroup{path}")),
            c if c.split(',').any(|c| c == "pids") => Some(format!("/sys/fs/cgroup/pids{path}")),
            _ => None,
        }
    })
}

/// The most threads this process may start, and which limit says so: the kernel's
/// `threads-max`, the `pids.max` of this process's own cgroup (found through
/// /proc/self/cgroup, not assumed at the hierarchy's root), and RLIMIT_NPROC.
pub fn thread_limit() -> Option<(u64, &'static str)> {
    let mut limits = vec![];
    if let Some(n) = read_number("/proc/sys/kernel/threads-max") {
        limits.push((n, "/proc/sys/kernel/threads-max"));
    }
    let dir = std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .and_then(|c| cgroup_pids_dir(&c));
    if let Some(n) = dir.and_then(|d| read_number(&format!("{d}/pids.max"))) {
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

/// What a connect error means, when it is one the machine's limits cause (told by its OS
/// error code: `ErrorKind` has no variant for EMFILE).
pub fn explain_connect(e: &std::io::Error) -> Option<&'static str> {
    match e.raw_os_error() {
        Some(libc::EADDRNOTAVAIL) => Some(
            "EADDRNOTAVAIL: no free local port for a new connection to this server (ephemeral \
             ports exhausted, often by connections left in TIME_WAIT); reuse connections, widen \
             net.ipv4.ip_local_port_range, or lower N",
        ),
        Some(libc::EMFILE) => {
            Some("EMFILE: the open-files limit was reached; raise it with `ulimit -n` or lower N")
        }
        Some(libc::ENFILE) => Some(
            "ENFILE: the system's open-files table is full (fs.file-max); close other programs or \
             lower N",
        ),
        _ => None,
    }
}

/// The first `io::Error` with an OS error code in an error's source chain, looking inside
/// `io::Error`s that wrap another error too (their `source()` skips the wrapped error itself).
pub fn os_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.raw_os_error().is_some() {
                return Some(io);
            }
            if let Some(found) = io.get_ref().and_then(|inner| os_error(inner)) {
                return Some(found);
            }
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
        let (soft, hard) = raise_open_files().expect("getrlimit reads the limit");
        assert_eq!(soft, hard);
        assert!(soft > 0);
    }

    #[test]
    fn a_workload_over_the_limit_is_refused_before_it_runs() {
        let (soft, _) = raise_open_files().unwrap();
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
    fn eaddrnotavail_and_emfile_are_explained_from_the_source_chain() {
        let os = |code| std::io::Error::from_raw_os_error(code);
        let why = explain_connect(&os(libc::EADDRNOTAVAIL)).unwrap();
        assert!(why.contains("ephemeral ports") && why.contains("ip_local_port_range"));
        assert!(explain_connect(&os(libc::EMFILE))
            .unwrap()
            .contains("ulimit -n"));
        assert!(explain_connect(&os(libc::ECONNREFUSED)).is_none());
        // As a client library reports it: the OS error wrapped in another error.
        let wrapped = std::io::Error::other(os(libc::EMFILE));
        let found = os_error(&wrapped).and_then(explain_connect).unwrap();
        assert!(found.starts_with("EMFILE"), "{found}");
    }

    #[test]
    fn the_cgroup_is_read_from_proc_self_cgroup() {
        assert_eq!(
            cgroup_pids_dir("0::/user.slice/user-1000.slice/session-2.scope\n").as_deref(),
            Some("/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope")
        );
        assert_eq!(cgroup_pids_dir("0::/\n").as_deref(), Some("/sys/fs/cgroup"));
        assert_eq!(
            cgroup_pids_dir("12:memory:/a\n7:pids:/docker/abc\n").as_deref(),
            Some("/sys/fs/cgroup/pids/docker/abc")
        );
        assert_eq!(cgroup_pids_dir("12:memory:/a\n"), None);
    }
}
