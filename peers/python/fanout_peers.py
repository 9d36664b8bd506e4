"""The Python patterns that fanout-bench's strategies mirror, measured on the same server.

Each pattern is written as the posts and common tutorials write it. `fanout peers` starts one
process per cell and round: `python fanout_peers.py PATTERN`, then speaks JSON lines on
stdin/stdout:

- in:  {"timeout_s": 2.0, "k": 50, "cpu_work": 0}   (once: the pattern sets itself up)
  out: {"ready": true}  or  {"error": "..."}
- in:  {"urls": ["http://127.0.0.1:PORT/r/0?...", ...]}   (one batch)
  out: {"wall_ns", "user_ns", "system_ns", "voluntary", "involuntary",
        "outcomes": [[status, bytes, crc32] or ["reset" | "timeout" | ..., detail], ...],
        "spans_us": [[start, end], ...]}

Only the pattern's call is timed (perf_counter_ns), and its CPU is this process's, every thread
(getrusage). Errors are values, classified by phase the way the Rust side classifies them: no
TCP connection is `connect`, a connection that died before the head is `reset`, a body shorter
than its Content-Length is `truncated`, the workload's timeout is `timeout`.
"""

import asyncio
import concurrent.futures
import json
import resource
import sys
import time
import zlib

import aiohttp
import requests
from asgiref.sync import async_to_sync, sync_to_async

MASK = (1 << 64) - 1


def process(seed, rounds):
    """The per-response work of the Rust side (`outcome::process`), step for step."""
    x = seed | 1
    for _ in range(rounds):
        x ^= (x << 13) & MASK
        x ^= x >> 7
        x ^= (x << 17) & MASK
        x = (x * 0x2545F4914F6CDD1D) & MASK
    return x


class Batch:
    """What one batch records: each request's outcome and span, by index."""

    def __init__(self, n):
        self.base = time.perf_counter_ns()
        self.outcomes = [None] * n
        self.spans = [None] * n

    def now_us(self):
        return (time.perf_counter_ns() - self.base) // 1000


class Ctx:
    def __init__(self, setup):
        self.timeout = float(setup["timeout_s"])
        self.k = int(setup["k"])
        self.cpu_work = int(setup["cpu_work"])


def response(ctx, status, body):
    crc = zlib.crc32(body)
    if status == 200 and ctx.cpu_work:
        process(crc, ctx.cpu_work)
    return [status, len(body), crc]


def get_requests(ctx, batch, session, i, url):
    """One URL with requests: the whole body read, the error classified."""
    start = batch.now_us()
    try:
        r = session.get(url, timeout=ctx.timeout)
        out = response(ctx, r.status_code, r.content)
    except requests.exceptions.Timeout as e:
        out = ["timeout", str(e)]
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as e:
        out = ["truncated", str(e)]
    except requests.exceptions.ConnectionError as e:
        refused = "NewConnectionError" in repr(e) or "refused" in str(e)
        out = ["connect" if refused else "reset", str(e)]
    except Exception as e:  # noqa: BLE001 - errors are values
        out = ["other", repr(e)]
    batch.outcomes[i] = out
    batch.spans[i] = [start, batch.now_us()]
    return out


async def get_aiohttp(ctx, batch, session, i, url):
    """One URL with aiohttp (the session carries the workload's total timeout)."""
    start = batch.now_us()
    try:
        async with session.get(url) as r:
            out = response(ctx, r.status, await r.read())
    except asyncio.TimeoutError as e:
        out = ["timeout", repr(e)]
    except aiohttp.ClientPayloadError as e:
        out = ["truncated", str(e)]
    except aiohttp.ClientConnectorError as e:
        out = ["connect", str(e)]
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientResponseError) as e:
        out = ["reset", repr(e)]
    except Exception as e:  # noqa: BLE001 - errors are values
        out = ["other", repr(e)]
    batch.outcomes[i] = out
    batch.spans[i] = [start, batch.now_us()]
    return out


def aiohttp_session(ctx, limit=100):
    """One ClientSession as tutorials make it; `limit` is the connector's (aiohttp's default 100)."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=ctx.timeout),
        connector=aiohttp.TCPConnector(limit=limit),
    )


async def gather_with_new_session(ctx, batch, urls):
    """The coroutine a sync route runs: a new session, every URL gathered."""
    async with aiohttp_session(ctx) as session:
        return await asyncio.gather(*(get_aiohttp(ctx, batch, session, i, u) for i, u in enumerate(urls)))


class Pattern:
    """Set up once per process (untimed); `batch` is the timed call; `close` at the end."""

    def __init__(self, ctx):
        self.ctx = ctx

    def close(self):
        pass


class RequestsLoop(Pattern):
    """`requests.Session()` in a for loop."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.session = requests.Session()

    def batch(self, b, urls):
        for i, u in enumerate(urls):
            get_requests(self.ctx, b, self.session, i, u)


class ThreadPool(Pattern):
    """`with ThreadPoolExecutor(max_workers) as ex: list(ex.map(fetch, urls))`, one shared
    Session, the executor made per call as tutorials write it (None: Python's default,
    min(32, cores + 4) workers)."""

    workers = None

    def __init__(self, ctx):
        super().__init__(ctx)
        self.session = requests.Session()

    def batch(self, b, urls):
        workers = self.ctx.k if self.workers == "k" else None
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
            list(ex.map(lambda iu: get_requests(self.ctx, b, self.session, *iu), enumerate(urls)))


class ThreadPoolK(ThreadPool):
    workers = "k"


class Loop(Pattern):
    """A long-lived event loop, as a running async application has."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.loop = asyncio.new_event_loop()

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def close(self):
        self.loop.close()


class AiohttpGather(Loop):
    """`asyncio.gather` over one `aiohttp.ClientSession` (connector limit 100, the default)."""

    limit = 100

    def __init__(self, ctx):
        super().__init__(ctx)

        async def make():
            return aiohttp_session(ctx, self.limit)

        self.session = self.run(make())

    def batch(self, b, urls):
        async def gather():
            return await asyncio.gather(
                *(get_aiohttp(self.ctx, b, self.session, i, u) for i, u in enumerate(urls))
            )

        self.run(gather())

    def close(self):
        self.run(self.session.close())
        super().close()


class AiohttpGatherUnlimited(AiohttpGather):
    limit = 0


class Offload(Loop):
    """Blocking `requests` calls handed to threads from the loop, gathered."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.session = requests.Session()

    def call(self, f, *args):
        raise NotImplementedError

    def batch(self, b, urls):
        async def gather():
            return await asyncio.gather(
                *(self.call(get_requests, self.ctx, b, self.session, i, u) for i, u in enumerate(urls))
            )

        self.run(gather())


class ToThread(Offload):
    """`asyncio.to_thread(fetch, url)` per URL, gathered."""

    def call(self, f, *args):
        return asyncio.to_thread(f, *args)


class RunInExecutor(Offload):
    """`loop.run_in_executor(None, fetch, url)` per URL, gathered."""

    def call(self, f, *args):
        return asyncio.get_running_loop().run_in_executor(None, f, *args)


class SyncToAsync(Offload):
    """asgiref `sync_to_async(fetch)` per URL, gathered (thread_sensitive=True, its default:
    every call on one shared thread)."""

    thread_sensitive = True

    def call(self, f, *args):
        return sync_to_async(f, thread_sensitive=self.thread_sensitive)(*args)


class SyncToAsyncParallel(SyncToAsync):
    thread_sensitive = False


class AsyncToSync(Pattern):
    """A sync caller running the gather through asgiref `async_to_sync` (a new session each
    call: a session belongs to its loop)."""

    def batch(self, b, urls):
        async_to_sync(gather_with_new_session)(self.ctx, b, urls)


class AsyncioRunPerCall(Pattern):
    """`asyncio.run(gather(...))` inside a sync route, a new session each call."""

    def batch(self, b, urls):
        asyncio.run(gather_with_new_session(self.ctx, b, urls))


class BlockingInAsync(Loop):
    """`requests.get` inside `async def` tasks, gathered: the "sync from async" mistake."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self.session = requests.Session()

    def batch(self, b, urls):
        async def task(i, u):
            return get_requests(self.ctx, b, self.session, i, u)

        async def gather():
            return await asyncio.gather(*(task(i, u) for i, u in enumerate(urls)))

        self.run(gather())


PATTERNS = {
    "requests-session-loop": RequestsLoop,
    "thread-pool-default": ThreadPool,
    "thread-pool-k": ThreadPoolK,
    "aiohttp-gather": AiohttpGather,
    "aiohttp-gather-unlimited": AiohttpGatherUnlimited,
    "to-thread-gather": ToThread,
    "run-in-executor-gather": RunInExecutor,
    "sync-to-async": SyncToAsync,
    "sync-to-async-parallel": SyncToAsyncParallel,
    "async-to-sync": AsyncToSync,
    "asyncio-run-per-call": AsyncioRunPerCall,
    "blocking-in-async": BlockingInAsync,
}


def usage():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return (int(r.ru_utime * 1e9), int(r.ru_stime * 1e9), r.ru_nvcsw, r.ru_nivcsw)


def reply(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in PATTERNS:
        sys.stderr.write(f"usage: fanout_peers.py PATTERN; the patterns: {', '.join(PATTERNS)}\n")
        return 2
    setup = sys.stdin.readline()
    if not setup:
        return 0
    try:
        pattern = PATTERNS[sys.argv[1]](Ctx(json.loads(setup)))
    except Exception as e:  # noqa: BLE001 - reported to the caller
        reply({"error": f"cannot set up {sys.argv[1]}: {e!r}"})
        return 1
    reply({"ready": True})
    for line in sys.stdin:
        urls = json.loads(line)["urls"]
        b = Batch(len(urls))
        before = usage()
        started = time.perf_counter_ns()
        pattern.batch(b, urls)
        wall = time.perf_counter_ns() - started
        after = usage()
        reply(
            {
                "wall_ns": wall,
                "user_ns": after[0] - before[0],
                "system_ns": after[1] - before[1],
                "voluntary": after[2] - before[2],
                "involuntary": after[3] - before[3],
                "outcomes": [o if o is not None else ["other", "never fetched"] for o in b.outcomes],
                "spans_us": b.spans,
            }
        )
    pattern.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
