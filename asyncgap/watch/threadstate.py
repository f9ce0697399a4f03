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
waits for the GIL to go on still shows the call: it reads `io` or `waiting`, not `gil`. A lock a
library takes in its own frame, `with self._lock:`, reads `io`: a library frame's call is not
resolved, so that nothing of another thread's objects is touched, and only the lock modules'
own frames are known by name.)

The account is Linux's /proc/self/task/<tid>/schedstat (run time, run-queue time), kept open
per thread and re-read with pread: as cheap as a CPU clock, which alone would read a thread
starved of a core on a busy machine as asleep. Without it, the thread's CPU clock (what
`pthread_getcpuclockid` names, opened by the kernel's thread id) gives the run time alone.
"""

import os
import sys
import threading
import time
from types import FrameType
from typing import NamedTuple

from asyncgap.watch.callsite import OWN_CODE, CallSite, Namer, calls, python_name

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


def doing(namer: Namer, frame: FrameType, site: CallSite, working: Shares | None) -> str | None:
    """`"<state> <innermost>"` for a stack whose innermost frame is `frame` and whose call site is
    `site`, e.g. `waiting threading.Condition.wait`; None when the working share is unknown."""
    if working is None:
        return None
    if namer.is_app(frame.f_code):  # the application frame is innermost: the site's callee is its call
        calling = site.callee != OWN_CODE
        innermost = site.callee if calling else python_name(frame.f_code, frame.f_globals)
    else:  # a library's frame, named by itself (its call is not resolved: nothing of it is touched)
        calling, innermost = calls(frame), namer.name(frame.f_code, frame.f_globals)
    if sum(working) >= WORKING:
        state = CPU if working.ran >= working.queued else CORE
    elif not calling:
        state = GIL
    elif _is_lock(innermost):
        state = WAITING
    else:
        state = IO
    return f"{state} {innermost}"
