//! The server's own CPU time: the sum of its threads' CPU clocks, so it is the server's cost
//! alone even when the server runs inside the client's process.

use std::sync::Mutex;

/// The server's threads and the CPU time of those that have ended.
#[derive(Default)]
pub(crate) struct ThreadClocks {
    inner: Mutex<Clocks>,
}

#[derive(Default)]
struct Clocks {
    live: Vec<libc::pthread_t>,
    retired_ns: u64,
}

impl ThreadClocks {
    fn lock(&self) -> std::sync::MutexGuard<'_, Clocks> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts the calling thread's CPU time from now on (until [`Self::retire_current`]).
    pub(crate) fn register_current(&self) {
        // SAFETY: pthread_self has no preconditions.
        let me = unsafe { libc::pthread_self() };
        self.lock().live.push(me);
    }

    /// Adds the calling thread's CPU time to the total for good; call it as the thread ends.
    pub(crate) fn retire_current(&self) {
        // SAFETY: pthread_self has no preconditions.
        let me = unsafe { libc::pthread_self() };
        let mut clocks = self.lock();
        if let Some(i) = clocks
            .live
            .iter()
            // SAFETY: pthread_equal only compares the two ids.
            .position(|t| unsafe { libc::pthread_equal(*t, me) } != 0)
        {
            clocks.live.swap_remove(i);
            clocks.retired_ns += clock_ns(libc::CLOCK_THREAD_CPUTIME_ID).unwrap_or(0);
        }
    }

    /// CPU time (user + system) the server's threads have used since they started, in ns.
    pub(crate) fn total_ns(&self) -> u64 {
        let clocks = self.lock();
        let live: u64 = clocks
            .live
            .iter()
            .filter_map(|t| {
                let mut id: libc::clockid_t = 0;
                // SAFETY: `t` is a thread that registered itself and has not retired, so it is
                // alive (a thread retires before it ends, under this same lock).
                let rc = unsafe { libc::pthread_getcpuclockid(*t, &mut id) };
                (rc == 0).then_some(id)
            })
            .filter_map(clock_ns)
            .sum();
        live + clocks.retired_ns
    }
}

/// Burns `d` of the calling thread's CPU time (not wall time, which a busy machine stretches):
/// the work a slow handler does, to make the server the bottleneck on purpose.
pub(crate) fn burn(d: std::time::Duration) {
    let ns = d.as_nanos() as u64;
    let Some(start) = clock_ns(libc::CLOCK_THREAD_CPUTIME_ID) else {
        return;
    };
    while clock_ns(libc::CLOCK_THREAD_CPUTIME_ID).is_some_and(|now| now - start < ns) {
        std::hint::spin_loop();
    }
}

fn clock_ns(clock: libc::clockid_t) -> Option<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write to.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn burn(ns: u64) {
        super::burn(std::time::Duration::from_nanos(ns));
    }

    #[test]
    fn counts_registered_threads_alive_and_ended_and_nothing_else() {
        let clocks = Arc::new(ThreadClocks::default());
        // The test's own thread is not registered: its work is not counted.
        burn(20_000_000);
        assert_eq!(clocks.total_ns(), 0);
        let (burnt, wait_burnt) = std::sync::mpsc::channel::<()>();
        let (end, wait_end) = std::sync::mpsc::channel::<()>();
        let worker = {
            let clocks = clocks.clone();
            std::thread::spawn(move || {
                clocks.register_current();
                burn(40_000_000);
                burnt.send(()).unwrap();
                wait_end.recv().unwrap();
                clocks.retire_current();
            })
        };
        wait_burnt.recv().unwrap();
        let alive = clocks.total_ns();
        assert!(
            alive >= 40_000_000,
            "a live thread's 40 ms counted as {alive} ns"
        );
        end.send(()).unwrap();
        worker.join().unwrap();
        let ended = clocks.total_ns();
        assert!(
            ended >= alive,
            "{ended} < {alive}: an ended thread's time was lost"
        );
        assert!(clocks.lock().live.is_empty());
    }
}
