//! What the kernel says about this process: CPU time and context switches (getrusage), and its
//! threads and resident set (/proc/self/status), with the resident set's high-water mark reset
//! on demand (/proc/self/clear_refs) so a peak can be measured from a baseline of our choosing.

/// CPU time and context switches, as getrusage counts them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub user_ns: u64,
    pub system_ns: u64,
    pub voluntary: u64,
    pub involuntary: u64,
}

impl Usage {
    /// `self - earlier`, field by field (never below zero).
    pub fn since(self, earlier: Usage) -> Usage {
        Usage {
            user_ns: self.user_ns.saturating_sub(earlier.user_ns),
            system_ns: self.system_ns.saturating_sub(earlier.system_ns),
            voluntary: self.voluntary.saturating_sub(earlier.voluntary),
            involuntary: self.involuntary.saturating_sub(earlier.involuntary),
        }
    }

    /// User plus system time.
    pub fn cpu_ns(self) -> u64 {
        self.user_ns + self.system_ns
    }
}

/// Time the hypervisor ran something else while this machine's CPUs had work (steal), summed
/// over every CPU since boot, from the first line of /proc/stat (in ticks of `_SC_CLK_TCK`, so
/// 10 ms steps on most kernels). `None` where the kernel does not report it.
pub fn steal_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?;
    let mut fields = line.split_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    // user nice system idle iowait irq softirq steal
    let ticks: u64 = fields.nth(7)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (hz > 0).then(|| ticks * 1_000_000_000 / hz as u64)
}

/// Steal since `before` (an earlier [`steal_ns`]), `None` if either reading is unknown.
pub fn steal_since(before: Option<u64>) -> Option<u64> {
    steal_ns()
        .zip(before)
        .map(|(after, before)| after.saturating_sub(before))
}

/// This process's usage so far (all threads, dead ones included).
pub fn process() -> Usage {
    usage(libc::RUSAGE_SELF)
}

/// The calling thread's usage so far.
pub fn thread() -> Usage {
    usage(libc::RUSAGE_THREAD)
}

fn usage(who: libc::c_int) -> Usage {
    // SAFETY: getrusage writes into the zeroed struct we own; both arguments are valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(who, &mut ru) } != 0 {
        return Usage::default();
    }
    let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1000;
    Usage {
        user_ns: ns(ru.ru_utime),
        system_ns: ns(ru.ru_stime),
        voluntary: ru.ru_nvcsw as u64,
        involuntary: ru.ru_nivcsw as u64,
    }
}

/// Threads, resident set and its high-water mark of this process, from /proc/self/status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    pub threads: u64,
    pub rss_bytes: u64,
    pub peak_rss_bytes: u64,
}

/// Reads /proc/self/status (zeros where it cannot be read).
pub fn status() -> Status {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Status {
        threads: field("Threads:"),
        rss_bytes: field("VmRSS:") * 1024,
        peak_rss_bytes: field("VmHWM:") * 1024,
    }
}

/// Resets the resident set's high-water mark to the current resident set (Linux 4.0+), so a
/// later [`status`]'s `peak_rss_bytes` is the peak since now.
pub fn reset_peak_rss() -> std::io::Result<()> {
    std::fs::write("/proc/self/clear_refs", "5")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steal_is_read_from_proc_stat_and_never_goes_back() {
        // Every Linux kernel this runs on reports steal (zero on bare metal).
        let a = steal_ns().expect("/proc/stat has a steal column");
        let b = steal_ns().unwrap();
        assert!(b >= a);
        let stat = std::fs::read_to_string("/proc/stat").unwrap();
        let ticks: u64 = stat.split_whitespace().nth(8).unwrap().parse().unwrap();
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
        // The 8th number after "cpu", in ns: read again, so it can only have grown.
        assert!(ticks * 1_000_000_000 / hz >= a);
    }

    #[test]
    fn the_peak_resident_set_resets_and_then_sees_a_new_peak() {
        reset_peak_rss().expect("this kernel can reset the high-water mark");
        let before = status();
        assert!(
            before.peak_rss_bytes <= before.rss_bytes + (1 << 20),
            "{before:?}"
        );
        // Touch 64 MiB, then free it: the peak keeps it, the resident set does not.
        let mut v = vec![0u8; 64 << 20];
        for i in (0..v.len()).step_by(4096) {
            v[i] = 1;
        }
        std::hint::black_box(&v);
        drop(v);
        let after = status();
        assert!(
            after.peak_rss_bytes >= before.rss_bytes + (60 << 20),
            "{before:?} {after:?}"
        );
    }
}
