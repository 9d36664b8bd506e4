//! What the probe batch records, to show *why* a strategy is fast or slow: when every request
//! started and ended, how long a ready task waited on the strategy's executor, and how much the
//! batch allocated. The probe batch is an untimed batch of its own, run after a round's timed
//! batches (see `bench::cell`); its time is never published, so these instruments cannot move
//! a published time. Outside it they cost one relaxed atomic load each.
//!
//! - **Spans.** [`span`] is called where every client library's fetch begins
//!   (`crate::fetch`), so the same place times a request for every strategy: from the moment
//!   the fetch starts running (a task first polled, a pool thread picking the call up) to its
//!   outcome.
//! - **Loop stall.** A ticker thread marks a tick every millisecond and wakes the
//!   [`Heartbeat`], a future the strategy polls where it polls its own requests (beside them
//!   in `block_on`, or spawned as a task where its requests are tasks). The stall of a tick is
//!   the time from the mark to the heartbeat's next poll: how long a ready task waited, as
//!   asyncio's slow-callback warning reports it. A mark still waiting when the batch ends
//!   counts up to then. On a multi-thread runtime a spawned heartbeat runs on whichever worker
//!   is free, so it shows a stall only when every worker is held; it also includes the time an
//!   idle executor takes to wake (a tenth of a millisecond or two on a virtual machine).
//! - **Allocations.** [`CountingAlloc`], the bench binary's global allocator, counts every
//!   allocation (a `realloc` counts as one, of its new size) of every thread of the process
//!   while the batch runs. A binary without it records none.

use futures::task::AtomicWaker;
use serde::{Deserialize, Serialize};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The heartbeat's period.
pub const TICK: Duration = Duration::from_millis(1);

/// What the probe batch of a round recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeRecord {
    /// The probe batch's wall time (never published as a time; it sets the timeline's axis).
    pub wall_ns: u64,
    /// Each request's start and end in microseconds from the batch's start, in request
    /// order; `null` for a request whose fetch never began.
    pub spans_us: Vec<Option<[u32; 2]>>,
    /// Allocations made during the batch by every thread of the process (`null`: the binary
    /// does not count them).
    pub allocations: Option<u64>,
    pub allocated_bytes: Option<u64>,
    /// The longest a heartbeat tick waited on the strategy's executor (`null`: the strategy
    /// runs no executor).
    pub max_loop_stall_ns: Option<u64>,
}

impl ProbeRecord {
    /// Each request's time from start to outcome, in microseconds, for the requests that began.
    pub fn latencies_us(&self) -> impl Iterator<Item = u64> + '_ {
        self.spans_us
            .iter()
            .flatten()
            .map(|[s, e]| u64::from(e.saturating_sub(*s)))
    }
}

/// One probe batch being recorded: start it right before the strategy runs, finish it right
/// after.
pub struct Session {
    ticker: Ticker,
    heartbeat: Option<Heartbeat>,
    started: Instant,
    counted: bool,
}

impl Session {
    /// Starts recording spans for `urls` (in request order), the heartbeat's ticker, and the
    /// allocation count, in that order, so the count starts last.
    pub fn start<'a>(urls: impl Iterator<Item = &'a str>) -> Session {
        let started = Instant::now();
        spans_begin(urls, started);
        let (ticker, heartbeat) = ticker();
        let counted = alloc_begin();
        Session {
            ticker,
            heartbeat: Some(heartbeat),
            started,
            counted,
        }
    }

    /// The heartbeat, for the strategy to poll (once).
    pub fn heartbeat(&mut self) -> Option<Heartbeat> {
        self.heartbeat.take()
    }

    /// Stops everything (the allocation count first) and returns what was recorded.
    pub fn finish(self) -> ProbeRecord {
        let (allocations, allocated_bytes) = alloc_end(self.counted);
        let wall_ns = self.started.elapsed().as_nanos() as u64;
        let max_loop_stall_ns = self.ticker.finish().map(|d| d.as_nanos() as u64);
        ProbeRecord {
            wall_ns,
            spans_us: spans_end(),
            allocations,
            allocated_bytes,
            max_loop_stall_ns,
        }
    }
}

// ---- Spans ------------------------------------------------------------------------------

static RECORDING: AtomicBool = AtomicBool::new(false);
static SPANS: Mutex<Option<Spans>> = Mutex::new(None);

struct Spans {
    base: Instant,
    index: HashMap<String, usize>,
    spans: Vec<Option<[u32; 2]>>,
}

fn spans_begin<'a>(urls: impl Iterator<Item = &'a str>, base: Instant) {
    let index: HashMap<String, usize> = urls.enumerate().map(|(i, u)| (u.to_owned(), i)).collect();
    let spans = vec![None; index.len()];
    *SPANS.lock().unwrap_or_else(|e| e.into_inner()) = Some(Spans { base, index, spans });
    RECORDING.store(true, Ordering::SeqCst);
}

fn spans_end() -> Vec<Option<[u32; 2]>> {
    RECORDING.store(false, Ordering::SeqCst);
    SPANS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .map(|s| s.spans)
        .unwrap_or_default()
}

fn micros_since(base: Instant) -> u32 {
    base.elapsed().as_micros().min(u128::from(u32::MAX)) as u32
}

/// Spans measured elsewhere (a Python peer's own clock, from its batch's start), in request
/// order, taken as this probe batch's; nothing happens outside a probe batch.
pub fn record_spans(spans: &[Option<[u32; 2]>]) {
    if !RECORDING.load(Ordering::Relaxed) {
        return;
    }
    if let Some(s) = SPANS.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        for (slot, span) in s.spans.iter_mut().zip(spans) {
            *slot = *span;
        }
    }
}

/// One request's fetch, timed while a probe batch records (and nothing otherwise); the end is
/// taken when it drops.
#[must_use = "the span ends when this drops"]
pub struct Span(Option<(usize, u32)>);

/// Starts timing the fetch of `url`.
pub fn span(url: &str) -> Span {
    if !RECORDING.load(Ordering::Relaxed) {
        return Span(None);
    }
    let guard = SPANS.lock().unwrap_or_else(|e| e.into_inner());
    Span(
        guard
            .as_ref()
            .and_then(|s| Some((*s.index.get(url)?, micros_since(s.base)))),
    )
}

impl Drop for Span {
    fn drop(&mut self) {
        if let Some((i, start)) = self.0 {
            let mut guard = SPANS.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(s) = guard.as_mut() {
                let end = micros_since(s.base);
                if let Some(slot) = s.spans.get_mut(i) {
                    *slot = Some([start, end]);
                }
            }
        }
    }
}

// ---- Heartbeat ----------------------------------------------------------------------------

struct Beat {
    base: Instant,
    /// Nanoseconds from `base` to the oldest tick not yet seen, plus one; 0: none waiting.
    marked: AtomicU64,
    max_ns: AtomicU64,
    polled: AtomicBool,
    stopped: AtomicBool,
    waker: AtomicWaker,
}

impl Beat {
    fn now(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64 + 1
    }

    /// Takes the waiting tick, if one is, into the maximum.
    fn see(&self, now: u64) {
        let marked = self.marked.swap(0, Ordering::AcqRel);
        if marked != 0 {
            self.max_ns
                .fetch_max(now.saturating_sub(marked), Ordering::AcqRel);
        }
    }
}

/// The future a strategy polls beside its requests; it ends when the probe batch does.
pub struct Heartbeat(Arc<Beat>);

impl Future for Heartbeat {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let beat = &self.0;
        beat.polled.store(true, Ordering::Release);
        beat.waker.register(cx.waker());
        beat.see(beat.now());
        match beat.stopped.load(Ordering::Acquire) {
            true => Poll::Ready(()),
            false => Poll::Pending,
        }
    }
}

/// Polls `batch` with the heartbeat beside it, on the same task: what a strategy does when its
/// requests are polled inside `block_on`. Returns the batch's output as soon as it is ready.
pub async fn beside<F: Future>(batch: F, heartbeat: Option<Heartbeat>) -> F::Output {
    match heartbeat {
        None => batch.await,
        Some(h) => {
            let batch = std::pin::pin!(batch);
            match futures::future::select(batch, h).await {
                futures::future::Either::Left((out, _)) => out,
                futures::future::Either::Right(((), batch)) => batch.await,
            }
        }
    }
}

struct Ticker {
    beat: Arc<Beat>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn ticker() -> (Ticker, Heartbeat) {
    let beat = Arc::new(Beat {
        base: Instant::now(),
        marked: AtomicU64::new(0),
        max_ns: AtomicU64::new(0),
        polled: AtomicBool::new(false),
        stopped: AtomicBool::new(false),
        waker: AtomicWaker::new(),
    });
    let b = beat.clone();
    let thread = std::thread::Builder::new()
        .name("fanout-heartbeat".into())
        .spawn(move || {
            while !b.stopped.load(Ordering::Acquire) {
                std::thread::sleep(TICK);
                // A tick still waiting keeps its older mark: the stall grows from there.
                if b.marked
                    .compare_exchange(0, b.now(), Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    b.waker.wake();
                }
            }
        })
        .ok();
    (
        Ticker {
            beat: beat.clone(),
            thread,
        },
        Heartbeat(beat),
    )
}

impl Ticker {
    /// Stops the ticks; the longest stall, or `None` if the heartbeat was never polled (the
    /// strategy has no executor) or the ticker could not start.
    fn finish(mut self) -> Option<Duration> {
        let beat = &self.beat;
        beat.stopped.store(true, Ordering::Release);
        let started = self.thread.take().map(|t| t.join().is_ok());
        beat.see(beat.now());
        // A heartbeat spawned as a task ends at its next poll.
        beat.waker.wake();
        (started == Some(true) && beat.polled.load(Ordering::Acquire))
            .then(|| Duration::from_nanos(beat.max_ns.load(Ordering::Acquire)))
    }
}

// ---- Allocations --------------------------------------------------------------------------

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static ALLOCATED_BYTES: AtomicU64 = AtomicU64::new(0);

/// The system allocator, counting allocations while a probe batch runs. Installed as the
/// bench binary's `#[global_allocator]`; outside a probe batch it adds one relaxed load.
pub struct CountingAlloc;

#[inline]
fn count(bytes: usize) {
    if COUNTING.load(Ordering::Relaxed) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        ALLOCATED_BYTES.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

// SAFETY: every call is passed to the system allocator unchanged; counting touches only atomics.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: the caller's contract is passed on as it is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Starts counting; whether this process counts at all (its global allocator is
/// [`CountingAlloc`]), found by counting one allocation of its own.
fn alloc_begin() -> bool {
    ALLOCATIONS.store(0, Ordering::SeqCst);
    ALLOCATED_BYTES.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    drop(std::hint::black_box(Box::new([0u8; 32])));
    let counted = ALLOCATIONS.swap(0, Ordering::SeqCst) > 0;
    ALLOCATED_BYTES.store(0, Ordering::SeqCst);
    counted
}

fn alloc_end(counted: bool) -> (Option<u64>, Option<u64>) {
    COUNTING.store(false, Ordering::SeqCst);
    match counted {
        true => (
            Some(ALLOCATIONS.load(Ordering::SeqCst)),
            Some(ALLOCATED_BYTES.load(Ordering::SeqCst)),
        ),
        false => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The probe's state is the process's: one test at a time.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn probed(batch: impl FnOnce(Option<Heartbeat>)) -> ProbeRecord {
        let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let mut session = Session::start(["http://a/1", "http://a/2"].into_iter());
        batch(session.heartbeat());
        session.finish()
    }

    /// The largest stall of a 30 ms batch on a current-thread runtime whose middle 20 ms
    /// either hold the thread (`block`) or await a timer.
    fn stall_of(block: bool) -> u64 {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let record = probed(|hb| {
            rt.block_on(beside(
                async {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    match block {
                        // The mistake the probe exists to catch: the only thread held.
                        true => std::thread::sleep(Duration::from_millis(20)),
                        false => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                },
                hb,
            ))
        });
        record.max_loop_stall_ns.expect("the heartbeat was polled")
    }

    #[test]
    fn the_heartbeat_sees_a_task_that_blocks_its_thread_for_20_ms() {
        let blocked = stall_of(true);
        // A tick is marked within a millisecond or so of the block's start and waits for its end.
        assert!(blocked >= 15_000_000, "stall {blocked} ns");
        // The same batch awaiting instead lets the heartbeat run: its ticks are seen as they come.
        let awaited = stall_of(false);
        assert!(
            awaited < blocked / 2,
            "awaited {awaited} ns, blocked {blocked} ns"
        );
    }

    #[test]
    fn a_strategy_without_an_executor_has_no_stall_and_spans_are_by_request() {
        let record = probed(|hb| {
            drop(hb);
            let _b = span("http://a/2");
            std::thread::sleep(Duration::from_millis(2));
        });
        assert_eq!(record.max_loop_stall_ns, None);
        assert_eq!(record.spans_us.len(), 2);
        assert_eq!(record.spans_us[0], None, "request 1 never began");
        let [s, e] = record.spans_us[1].expect("request 2 was timed");
        assert!(e - s >= 2_000, "{s}..{e}");
        // Outside a probe batch nothing is recorded.
        let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        assert!(span("http://a/2").0.is_none());
    }
}
