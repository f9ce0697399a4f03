"""The watchdog: a thread per worker that sees the event loop stall and names what stalls it.

The loop sets a heartbeat every BEAT_S. The thread sleeps until the loop would be late by the
threshold if it missed its next beat, and looks: when the last beat is older than BEAT_S +
threshold, the loop is blocked, and while it stays blocked the thread samples the loop
thread's stack (sys._current_frames) every SAMPLE_S and adds the time to its call site
(asyncgap/watch/callsite.py), counted from the last beat (the last moment the loop was seen running:
at most one beat early). So a healthy loop costs a wake-up every ~20 ms, not every few ms.
Every THREADS_EVERY_S it samples the other threads too, adding thread-seconds to the call
sites of those running application code: the thread pool's busy tokens and what each does,
the loop's default executor (a second pool) apart. Each sample also says whether the thread
waited or worked, from the kernel's account of it (asyncgap/watch/threadstate.py): the loop's is
read at every wake-up, the other threads' at every thread sample.
While no token is lent and nothing changes, both the thread sample and the file's rewrite
happen once a second: an idle uvloop worker measured 10 ms of CPU a second, 17 before.

Totals go to a file beside the Prometheus multiprocess files (asyncgap/watch/watchfile.py), rewritten
from this thread, so they can be read from outside while the loop is blocked. Any FastAPI (or
asyncio) app can use it: `async with watching(): ...` in its lifespan.
"""

import asyncio
import os
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from anyio import to_thread

from asyncgap.watch import threadstate, watchfile
from asyncgap.watch.callsite import NO_APP_FRAME, CallSite, Namer, python_name

DEFAULT_THRESHOLD_S = 0.02
BEAT_S = 0.01  # the loop's heartbeat: ~100 timer callbacks a second
SAMPLE_S = 0.01  # how often a blocked loop's stack is sampled (the time is counted between samples)
MAX_SLEEP_S = 0.05  # the longest the thread sleeps (how soon it stops)
THREADS_EVERY_S = 0.05  # how often it samples the other threads while tokens are lent (20 Hz is plenty)
WRITE_EVERY_S = 0.25  # how often the file is rewritten while its totals change
IDLE_EVERY_S = 1.0  # both, when nothing changes and no token is lent: an idle worker stays nearly idle
LAG_WINDOW_S = 1.0


class Watchdog:
    """Start it from the loop's thread (it records which thread that is); stop it from there too."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        threshold_s: float = DEFAULT_THRESHOLD_S,
        directory: Path | None = None,
    ) -> None:
        if not threshold_s > 0:
            raise ValueError(f"the blocking threshold must be a positive number of seconds: {threshold_s!r}")
        self.loop = loop
        self.threshold_s = threshold_s
        self.directory = directory
        self.namer = Namer(skip_files=(__file__,))
        self.watch = watchfile.Watch(
            pid=os.getpid(), written_at=time.time(), watching_s=0.0, threshold_s=threshold_s
        )
        self._limiter = to_thread.current_default_thread_limiter()
        self._loop_thread = threading.get_ident()
        self._loop_native = threading.get_native_id()
        self._loop_frames = threadstate.loop_frames(sys._getframe())
        self.clocks = threadstate.CpuClocks()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="asyncgap-watchdog", daemon=True)
        self._last_beat = time.monotonic()
        self._beat_handle: asyncio.TimerHandle | None = None
        self._written: tuple[float, float, float, str] | None = None  # the totals last written

    def _beat(self) -> None:
        self._last_beat = time.monotonic()
        self._beat_handle = self.loop.call_later(BEAT_S, self._beat)

    def start(self) -> None:
        self._started = time.monotonic()
        self._beat()
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and remove the file: a worker that is gone has nothing to show."""
        if self._beat_handle is not None:
            self._beat_handle.cancel()
        self._stopped = True
        self._thread.join()
        if self.directory is not None:
            with suppress(OSError):
                watchfile.path_for(self.directory, self.watch.pid).unlink()
        self.clocks.close()

    def _run(self) -> None:
        stall_beat = None  # the beat before the stall being counted, if one is
        last = threads_at = written_at = window_at = time.monotonic()
        window_max = previous_max = 0.0
        while not self._stopped:
            now = time.monotonic()
            working = self.clocks.working(self._loop_native)  # since the last wake-up
            beat = self._last_beat
            late = max(0.0, now - beat - BEAT_S)
            if now - window_at >= LAG_WINDOW_S:
                previous_max, window_max, window_at = window_max, 0.0, now
            window_max = max(window_max, late)
            if late > self.threshold_s:
                since = last if stall_beat == beat else beat  # a new stall counts from its last beat
                stall_beat = beat
                site, doing, callers = self._loop_site(working)
                self._add(self.watch.loop, self.watch.loop_states, site, doing, now - since)
                by_caller = self.watch.loop_callers.setdefault(watchfile.key(site.callee, site.site), {})
                for caller in callers:
                    by_caller[caller] = by_caller.get(caller, 0.0) + now - since
                self.watch.loop_blocked_s += now - since
                self.watch.blocked_now = str(site)
            else:
                stall_beat = None
                self.watch.blocked_now = ""
            last = now
            lent = self._limiter.borrowed_tokens or self.watch.executor_busy
            if now - threads_at >= (THREADS_EVERY_S if lent else IDLE_EVERY_S):
                self._sample_threads(now - threads_at)
                threads_at = now
            if now - written_at >= (WRITE_EVERY_S if self._changed() else IDLE_EVERY_S):
                self.watch.lag_s = max(previous_max, window_max)
                self._write(now)
                written_at = now
            # (Event.wait costs several times what time.sleep does, 200 times a second)
            time.sleep(SAMPLE_S if stall_beat is not None else self._until_late(beat, now))
        self._write(time.monotonic())

    def _until_late(self, beat: float, now: float) -> float:
        """Seconds until the loop, beating last at `beat`, would be late by the threshold."""
        return min(MAX_SLEEP_S, max(SAMPLE_S, beat + BEAT_S + self.threshold_s - now + 0.001))

    def _loop_site(self, working: threadstate.Shares | None) -> tuple[CallSite, str | None, list[str]]:
        """The blocked loop's call site, what it was doing (None: not known) and its callers."""
        frame = sys._current_frames().get(self._loop_thread)
        if frame is None:
            return CallSite("?", NO_APP_FRAME), None, []
        site = self.namer.site_of(frame)
        if site is None:  # blocked in a library's own code (a JSON encoder, say): name its innermost frame
            site = CallSite(python_name(frame.f_code, frame.f_globals), NO_APP_FRAME)
        doing = threadstate.doing(self.namer, frame, site, working, self._loop_frames)
        return site, doing, self.namer.callers(frame)

    def _sample_threads(self, dt: float) -> None:
        """Thread-seconds of every thread running application code, outside the loop's thread: the
        loop's default executor's apart from the others (anyio's workers, the app's own threads)."""
        executor = getattr(self.loop, "_default_executor", None)  # asyncio's; None until first used
        threads = tuple(getattr(executor, "_threads", ()))  # one C call: the loop's thread may add to it
        pool = {thread.ident for thread in threads}
        natives = threadstate.native_ids()
        busy = in_pool = 0
        for ident, frame in sys._current_frames().items():
            if ident in (self._loop_thread, threading.get_ident()):
                continue
            working = self.clocks.working(natives.get(ident))  # every thread's, so the next sample has a base
            site = self.namer.site_of(frame)
            if site is None:
                continue
            doing = threadstate.doing(self.namer, frame, site, working)
            if ident in pool:
                in_pool += 1
                self._add(self.watch.executor, self.watch.executor_states, site, doing, dt)
            else:
                busy += 1
                self._add(self.watch.threads, self.watch.threads_states, site, doing, dt)
        self.clocks.keep_only(set(natives.values()))
        self.watch.threads_busy_s += busy * dt
        self.watch.executor_busy_s += in_pool * dt
        self.watch.executor_busy = in_pool
        self.watch.executor_total = int(getattr(executor, "_max_workers", 0) or 0)

    @staticmethod
    def _add(
        totals: watchfile.Sites, states: watchfile.Sites, site: CallSite, doing: str | None, dt: float
    ) -> None:
        sites = totals.setdefault(site.callee, {})
        sites[site.site] = sites.get(site.site, 0.0) + dt
        if doing is not None:
            by_doing = states.setdefault(watchfile.key(site.callee, site.site), {})
            by_doing[doing] = by_doing.get(doing, 0.0) + dt

    def _totals(self) -> tuple[float, float, float, str]:
        return (
            self.watch.loop_blocked_s,
            self.watch.threads_busy_s,
            self.watch.executor_busy_s,
            self.watch.blocked_now,
        )

    def _changed(self) -> bool:
        """Whether the totals moved since the last write (the loop was blocked, threads were busy)."""
        return self._totals() != self._written

    def _write(self, now: float) -> None:
        self._written = self._totals()
        self.watch.watching_s = now - self._started
        self.watch.tokens_busy = self._limiter.borrowed_tokens  # (cheap: read at every write)
        self.watch.tokens_total = int(self._limiter.total_tokens)
        self.watch.written_at = time.time()
        if self.directory is not None:
            with suppress(OSError):  # a folder removed under a live worker must not kill the watchdog
                watchfile.write(self.directory, self.watch)


def start_watchdog(threshold_s: float = DEFAULT_THRESHOLD_S, directory: Path | None = None) -> Watchdog:
    """A watchdog on the running loop, started (call it from the loop's thread; `stop` it from there
    too); its file goes to `directory`, else to ASYNCGAP_METRICS_DIR or PROMETHEUS_MULTIPROC_DIR."""
    dog = Watchdog(
        asyncio.get_running_loop(), threshold_s=threshold_s, directory=directory or watchfile.metrics_dir()
    )
    dog.start()
    return dog


@asynccontextmanager
async def watching(
    threshold_s: float = DEFAULT_THRESHOLD_S, directory: Path | None = None
) -> AsyncIterator[Watchdog]:
    """Watch the running loop for the life of the block; its totals go to `directory` (default:
    ASYNCGAP_METRICS_DIR, else PROMETHEUS_MULTIPROC_DIR, else no file: read `.watch` in process)."""
    dog = start_watchdog(threshold_s, directory)
    try:
        yield dog
    finally:
        dog.stop()
