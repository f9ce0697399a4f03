"""Waiting told from working: real threads that wait, hash on the CPU or fight for the GIL, sampled
by the watchdog with their own CPU clocks; the loop's default executor counted as a second pool."""

import asyncio
import hashlib
import subprocess
import sys
import threading
import time

import anyio
import pytest

from asyncgap.watch import watchfile
from asyncgap.watch.callsite import NO_APP_FRAME
from asyncgap.watch.threadstate import CpuClocks, native_ids
from asyncgap.watch.watchdog import watching

THIS = "tests/watch/test_threadstate.py"


def wait_on(condition: threading.Condition, seconds: float) -> None:
    with condition:
        condition.wait(seconds)


def hold(lock: threading.Lock) -> None:
    with lock:  # a C lock: its __enter__ has no frame, the frame itself is where it waits
        pass


def hash_for(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        hashlib.scrypt(b"password", salt=b"salt", n=2**14, r=8, p=1, maxmem=2**26)


def spin_until(stop: threading.Event, start: threading.Barrier) -> None:
    start.wait()
    x = 0
    while x < 10**12:
        x += 1
        if x % 100_000 == 0 and stop.is_set():
            return


def states(watch: watchfile.Watch, name: str, function: str) -> dict[str, float]:
    """What the samples of `function`'s call site did -> seconds, from the given `*_states` map."""
    out: dict[str, float] = {}
    for site_key, by_doing in getattr(watch, name).items():
        if site_key.endswith(f" {function}") and f" <- {THIS}:" in site_key:
            for doing, seconds in by_doing.items():
                out[doing] = out.get(doing, 0.0) + seconds
    return out


def top(by_doing: dict[str, float]) -> str:
    assert by_doing, "no state was sampled"
    return max(by_doing, key=by_doing.__getitem__)


def test_a_threads_account_tells_a_spinning_thread_from_a_sleeping_one():
    clocks, done = CpuClocks(), threading.Event()
    sleeper = threading.Thread(target=done.wait)
    spinner = threading.Thread(target=lambda: hash_for(0.4))
    sleeper.start(), spinner.start()
    ids = native_ids()
    first = [clocks.working(ids[t.ident]) for t in (sleeper, spinner)]
    time.sleep(0.3)
    asleep, busy = (clocks.working(ids[t.ident]) for t in (sleeper, spinner))
    done.set(), sleeper.join(), spinner.join()
    assert first == [None, None]  # a first reading has nothing to compare with
    assert sum(asleep) < 0.1 < sum(busy)


@pytest.mark.anyio
async def test_a_thread_waiting_on_a_condition_reads_waiting_and_one_hashing_reads_cpu():
    condition = threading.Condition()
    async with watching() as dog, anyio.create_task_group() as tg:
        tg.start_soon(anyio.to_thread.run_sync, wait_on, condition, 0.8)
        tg.start_soon(anyio.to_thread.run_sync, hash_for, 0.8)
    assert top(states(dog.watch, "threads_states", "wait_on")) == "waiting threading.Condition.wait"
    assert top(states(dog.watch, "threads_states", "hash_for")) == "cpu hashlib.scrypt"


@pytest.mark.anyio
async def test_a_thread_entering_a_held_lock_reads_waiting_not_gil():
    lock = threading.Lock()
    lock.acquire()
    async with watching() as dog, anyio.create_task_group() as tg:
        tg.start_soon(anyio.to_thread.run_sync, hold, lock)
        await asyncio.sleep(0.6)
        lock.release()
    assert top(states(dog.watch, "threads_states", "hold")) == "waiting _thread.lock.__enter__"


@pytest.mark.anyio
async def test_python_threads_that_share_the_gil_read_gil():
    start = threading.Barrier(4)  # all spin together (starting threads takes the GIL too)
    stop = threading.Event()
    async with watching() as dog, anyio.create_task_group() as tg:
        for _ in range(4):  # one runs at a time: each is runnable, off the CPU, most of the time
            tg.start_soon(anyio.to_thread.run_sync, spin_until, stop, start)
        try:  # 2 s, and on until a state is sampled: the watchdog's own thread waits its turn for
            with anyio.move_on_after(10):  # the GIL, and a thread's state needs two of its samples
                await anyio.sleep(2.0)
                while not dog.watch.threads_states:
                    await anyio.sleep(0.1)
        finally:
            stop.set()
    spinning = states(dog.watch, "threads_states", "spin_until")
    by_state = {
        state: sum(s for doing, s in spinning.items() if doing.startswith(f"{state} "))
        for state in ("gil", "core", "cpu")
    }
    # In any interval at most one of the four had the GIL most of it: the others waited for it
    # (gil) or, on a busy machine, for a core first (core); either way, not on the CPU.
    assert by_state["gil"] + by_state["core"] > by_state["cpu"], spinning


@pytest.mark.anyio
async def test_a_loop_blocked_in_a_hash_reads_cpu_and_one_blocked_in_a_sleep_reads_io():
    async with watching(threshold_s=0.02) as dog:
        await asyncio.sleep(0.05)
        hash_for(0.4)
        await asyncio.sleep(0.05)
        time.sleep(0.4)
        await asyncio.sleep(0.05)
    assert top(states(dog.watch, "loop_states", "hash_for")) == "cpu hashlib.scrypt"
    slept = [by for key, by in dog.watch.loop_states.items() if key.startswith("time.sleep <- ")]
    assert slept and top(slept[0]) == "io time.sleep"


LOOPS = [  # the frames that run the loop: asyncio's own and its selector, or the one under uvloop's C loop
    pytest.param(("asyncio", {}), ("selectors.", "asyncio.base_events."), id="asyncio"),
    pytest.param(("asyncio", {"use_uvloop": True}), ("anyio.TestRunner.run_test",), id="uvloop"),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("anyio_backend", "poll"), LOOPS)
async def test_a_loop_that_threads_keep_from_the_gil_reads_gil_in_its_own_poll(poll):
    """Two threads spin in Python, each holding the GIL for 50 ms at a time: the loop, back from
    its poll, waits for it past its heartbeat, asleep in the poll's frame (uvloop's C loop, in
    the call of the frame that runs it: that read `io`)."""
    start = threading.Barrier(2)
    stop = threading.Event()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.05)
    try:
        async with watching(threshold_s=0.02) as dog, anyio.create_task_group() as tg:
            for _ in range(2):
                tg.start_soon(anyio.to_thread.run_sync, spin_until, stop, start)
            try:
                with anyio.move_on_after(10):
                    await anyio.sleep(1.0)
                    while not any(doing.startswith("gil ") for doing in polled(dog.watch, poll)):
                        await anyio.sleep(0.1)
            finally:
                stop.set()
    finally:
        sys.setswitchinterval(interval)
    in_own_poll = polled(dog.watch, poll)
    assert any(doing.startswith(tuple(f"gil {frame}" for frame in poll)) for doing in in_own_poll), (
        dog.watch.loop_states
    )
    assert not any(doing.startswith("io ") for doing in in_own_poll), in_own_poll


@pytest.mark.anyio
async def test_a_loop_asleep_in_a_selector_the_application_called_waits_on_io():
    async with watching(threshold_s=0.02) as dog:
        await asyncio.sleep(0.05)
        run_a_child()
        await asyncio.sleep(0.05)
    assert top(states(dog.watch, "loop_states", "run_a_child")).startswith("io selectors.")


def run_a_child() -> None:
    subprocess.run(["sleep", "0.4"], capture_output=True, check=True)  # it waits in a selector


def polled(watch: watchfile.Watch, poll: tuple[str, ...]) -> dict[str, float]:
    """What the loop's stalls outside any application frame did, in its own poll -> seconds."""
    return {
        doing: seconds
        for site_key, by_doing in watch.loop_states.items()
        if site_key.startswith(poll) and site_key.endswith(f"<- {NO_APP_FRAME}")
        for doing, seconds in by_doing.items()
    }


@pytest.mark.anyio
async def test_the_loops_default_executor_is_a_second_pool_counted_apart():
    loop = asyncio.get_running_loop()
    condition = threading.Condition()
    async with watching() as dog:
        await asyncio.gather(*(loop.run_in_executor(None, wait_on, condition, 1.2) for _ in range(3)))
    executor_sites = {site for sites in dog.watch.executor.values() for site in sites}
    assert executor_sites and all(site.startswith(f"{THIS}:") for site in executor_sites)
    assert not any(site.endswith(" wait_on") for sites in dog.watch.threads.values() for site in sites)
    assert top(states(dog.watch, "executor_states", "wait_on")) == "waiting threading.Condition.wait"
    assert dog.watch.executor_total == loop._default_executor._max_workers
    assert 3 * 0.5 < dog.watch.executor_busy_s < 3 * 1.6
    assert dog.watch.threads_busy_s == 0.0
