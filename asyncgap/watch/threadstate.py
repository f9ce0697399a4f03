"""Tell waiting from working: what a sampled thread's innermost frame does, and whether it ran.

A stack shows where a thread is, not whether it runs. The kernel's account of the thread does:
the seconds it ran on a CPU, and waited in the run queue for one, between two samples, against
the wall seconds between them. With the innermost frame, a sample is in one of four states:
- `cpu`: working at least half the time, and running more of it than waiting for a core (in a
  C call such as hashlib.scrypt, or in bytecode);
- `core`: working at least half the time, but waiting in the run queue for a core more than
  running: the machine's other work had the CPUs (on a full machine, a loop held this way is
  preempted, not blocked by its code);
- `waiting`: asleep in a lock, condition, semaphore or queue (threading, queue): waiting for a
  lock, or for a pool's connection (SQLAlchemy's QueuePool waits in a Condition);
- `io`: asleep in any other call: a socket, select, a sleep, a file, a driver's C code;
- `gil`: asleep while its innermost frame runs its own Python bytecode, not a call. Bytecode
  does not sleep: such a thread is waiting for the GIL that another thread holds.
A thread's first reading, or one that cannot be read, gives no state: that time is counted at
its call site as before, and left out of the states. (A thread that returns from a C call and
waits for the GIL to go on still shows the call: it reads `io` or `waiting`, not `gil`, but for
the event loop's own poll: a loop late for its heartbeat, with no application frame on its
stack, asleep in its selector or in the frame that runs uvloop's C loop, is back from a poll
whose timeout was its next beat, and waits for the GIL that another thread holds; it reads
`gil`. A lock a
library takes in its own frame, `with self._lock:`, reads `io`: a library frame's call is not
resolved, so that nothing of another thread's objects is touched, and only the lock modules'
own frames are known by name.)

The account is Linux's /proc/self/task/<tid>/schedstat (run time, run-queue time), kept open
per thread and re-read with pread: as cheap as a CPU clock, which alone would read a thread
starved of a core on a busy machine as asleep. Without it, the thread's CPU clock (what
`pthread_getcpuclockid` names, opened by the kernel's thread id) gives the run time alone.
"""

import inspect
import os
import sys
import threading
import time
from types import CodeType, FrameType
from typing import NamedTuple

from asyncgap.watch.callsite import NO_APP_FRAME, OWN_CODE, CallSite, Namer, calls, python_name

WORKING = 0.5  # a thread running or ready to run at least this share of the wall time is working
CPU, CORE, WAITING, IO, GIL = "cpu", "core", "waiting", "io", "gil"
STATES = (CPU, CORE, WAITING, IO, GIL)
_LOCK_MODULES = (
    "threading",
    "queue",
    "_thread",
    "thread",
    "concurrent.futures",
    "multiprocessing.synchronize",
)
_COROUTINE_FLAGS = (
    inspect.CO_COROUTINE | inspect.CO_ITERABLE_COROUTINE | inspect.CO_ASYNC_GENERATOR | inspect.CO_GENERATOR
)
_LINUX = sys.platform == "linux"
_NO_FILE = -1


def _thread_clock(native_id: int) -> int:
    """Linux's CPU-time clock of one thread (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED))."""
    return ((~native_id) << 3) | 6


def native_ids() -> dict[int, int]:
    """The kernel thread id of every live Python thread, by its `threading.get_ident()`."""
    return {t.ident: t.native_id for t in threading.enumerate() if t.ident and t.native_id}


class Shares(NamedTuple):
    """Of the wall time between two readings of a thread: the shares it ran, and waited for a core."""

    ran: float
    queued: float


class CpuClocks:
    """Each thread's account at its last reading, to make the next one shares of the wall time."""

    def __init__(self) -> None:
        self._last: dict[int, tuple[float, float, float]] = {}  # native id -> (ran s, queued s, monotonic s)
        self._files: dict[int, int] = {}  # native id -> its schedstat, open (or _NO_FILE)

    def working(self, native_id: int | None) -> Shares | None:
        """The shares of the wall time since this thread's last reading it ran and waited for a
        core; None at its first reading, or when it cannot be read."""
        if native_id is None or not _LINUX:
            return None
        seconds, now = self._read(native_id), time.monotonic()
        if seconds is None:  # the thread ended
            self._forget(native_id)
            return None
        last = self._last.get(native_id)
        self._last[native_id] = (*seconds, now)
        if last is None or now <= last[2]:
            return None
        wall = now - last[2]
        return Shares(max(0.0, seconds[0] - last[0]) / wall, max(0.0, seconds[1] - last[1]) / wall)

    def _read(self, native_id: int) -> tuple[float, float] | None:
        fd = self._files.get(native_id)
        if fd is None:
            try:
                fd = os.open(f"/proc/self/task/{native_id}/schedstat", os.O_RDONLY)
            except OSError:
                fd = _NO_FILE
            self._files[native_id] = fd
        try:
            if fd == _NO_FILE:
                return time.clock_gettime(_thread_clock(native_id)), 0.0
            ran, queued, _ = os.pread(fd, 128, 0).split()
            return int(ran) / 1e9, int(queued) / 1e9
        except (OSError, ValueError):
            return None

    def _forget(self, native_id: int) -> None:
        self._last.pop(native_id, None)
        fd = self._files.pop(native_id, _NO_FILE)
        if fd != _NO_FILE:
            os.close(fd)

    def keep_only(self, alive: set[int]) -> None:
        """Forget the threads that ended (kernel ids are reused), and close their files."""
        for native_id in self._files.keys() - alive:
            self._forget(native_id)

    def close(self) -> None:
        self.keep_only(set())


def _is_lock(name: str) -> bool:
    return name.startswith(tuple(f"{module}." for module in _LOCK_MODULES))


def doing(
    namer: Namer,
    frame: FrameType,
    site: CallSite,
    working: Shares | None,
    loop_frames: frozenset[CodeType] = frozenset(),
) -> str | None:
    """`"<state> <innermost>"` for a stack whose innermost frame is `frame` and whose call site is
    `site`, e.g. `waiting threading.Condition.wait`; None when the working share is unknown. A
    stalled loop's stack gives the code of the frames that run the loop (`loop_frames`)."""
    if working is None:
        return None
    if namer.is_app(frame.f_code):  # the application frame is innermost: the site's callee is its call
        calling = site.callee != OWN_CODE
        innermost = site.callee if calling else python_name(frame.f_code, frame.f_globals)
    else:  # a library's frame, named by itself (its call is not resolved: nothing of it is touched)
        calling, innermost = calls(frame), namer.name(frame.f_code, frame.f_globals)
    if sum(working) >= WORKING:
        state = CPU if working.ran >= working.queued else CORE
    elif not calling or (site.site == NO_APP_FRAME and _in_own_poll(frame, loop_frames)):
        state = GIL
    elif _is_lock(innermost):
        state = WAITING
    else:
        state = IO
    return f"{state} {innermost}"


def loop_frames(frame: FrameType | None) -> frozenset[CodeType]:
    """The code of the frames that run the event loop, beneath its tasks, from the stack of a
    coroutine the loop runs (`frame`): those past its outermost coroutine frame, but asyncio's
    Handle._run, which runs any callback (`loop.call_soon(time.sleep, 1)` blocks in it). uvloop's
    C loop runs under one of them (asyncio's Runner.run, or whatever runs the loop), asyncio's
    own under its run_forever and _run_once."""
    outermost = None
    while frame is not None:
        if frame.f_code.co_flags & _COROUTINE_FLAGS:
            outermost = frame
        frame = frame.f_back
    frame, codes = outermost and outermost.f_back, set()
    while frame is not None:
        if frame.f_globals.get("__name__") != "asyncio.events":
            codes.add(frame.f_code)
        frame = frame.f_back
    return frozenset(codes)


def _in_own_poll(frame: FrameType, loop_frames: frozenset[CodeType]) -> bool:
    """The event loop's own poll is the innermost frame: a frame that runs the loop (uvloop's C loop
    polls under it), or asyncio's selector called from one (a selector a library's call waits in,
    `subprocess.run`'s, is no poll of the loop's)."""
    if frame.f_code in loop_frames:
        return True
    caller = frame.f_back
    return (
        frame.f_globals.get("__name__") == "selectors" and caller is not None and caller.f_code in loop_frames
    )
