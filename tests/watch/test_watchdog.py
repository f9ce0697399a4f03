"""The watchdog names what blocks a real loop, counts busy threads, and writes a file readable outside."""

import asyncio
import os
import subprocess
import sys
import time
from contextlib import asynccontextmanager, closing

import anyio
import httpx
import pytest
from fastapi import FastAPI

from asyncgap.watch import watchfile
from asyncgap.watch.watchdog import Watchdog, watching
from tests.paths import ROOT

THIS = "tests/watch/test_watchdog.py"


def block_the_loop(seconds: float) -> None:
    time.sleep(seconds)


def work_in_a_thread(seconds: float) -> None:
    time.sleep(seconds)


def sites(totals: watchfile.Sites) -> dict[str, float]:
    return {f"{callee} <- {site}": s for callee, by_site in totals.items() for site, s in by_site.items()}


@pytest.mark.anyio
async def test_a_blocked_loop_is_attributed_to_its_call_site(tmp_path):
    async with watching(threshold_s=0.02, directory=tmp_path) as dog:
        await asyncio.sleep(0.05)
        for _ in range(3):
            block_the_loop(0.2)
            await asyncio.sleep(0.05)  # the loop runs between stalls
        await asyncio.sleep(0.3)  # a write after the last stall
        on_disk = watchfile.read(watchfile.path_for(tmp_path, os.getpid()))
    line = block_the_loop.__code__.co_firstlineno + 1
    (site, blocked), *others = sorted(sites(on_disk.loop).items(), key=lambda kv: -kv[1])
    assert site == f"time.sleep <- {THIS}:{line} block_the_loop"
    assert 0.45 <= blocked <= 0.65  # 3 x 0.2 s, counted from the last beat (at most 10 ms early each)
    assert sum(s for _, s in others) < 0.05
    assert on_disk.loop_blocked_s == pytest.approx(sum(sites(on_disk.loop).values()))
    assert on_disk.watching_s > on_disk.loop_blocked_s
    assert not watchfile.path_for(tmp_path, os.getpid()).exists()  # removed when the worker stops
    assert dog.watch.blocked_now == ""


async def handler_that_blocks() -> None:
    block_the_loop(0.2)  # a helper that blocks, called by the "handler"


@pytest.mark.anyio
async def test_a_stall_in_a_helper_records_the_frames_that_called_it(tmp_path):
    """The loop's site is the helper's line; its callers name the coroutine that called it, for
    the whole stall, so the advice can tie the helper's call to the route."""
    async with watching(threshold_s=0.02, directory=tmp_path):
        await asyncio.sleep(0.05)
        await handler_that_blocks()
        await asyncio.sleep(0.3)  # a write after the stall
        on_disk = watchfile.read(watchfile.path_for(tmp_path, os.getpid()))
    line = block_the_loop.__code__.co_firstlineno + 1
    key = watchfile.key("time.sleep", f"{THIS}:{line} block_the_loop")
    callers = on_disk.loop_callers[key]
    assert callers[f"{THIS} handler_that_blocks"] == pytest.approx(sites(on_disk.loop)[key])
    test = f"{THIS} test_a_stall_in_a_helper_records_the_frames_that_called_it"
    assert list(callers) == [f"{THIS} handler_that_blocks", test]  # innermost first


@pytest.mark.anyio
async def test_an_idle_workers_first_file_already_counts_its_thread_tokens(tmp_path):
    """An idle worker samples its threads once a second, but its file tells the pool's size at once."""
    async with watching(threshold_s=0.02, directory=tmp_path):
        await asyncio.sleep(0.4)  # past the first write, before the first idle thread sample
        on_disk = watchfile.read(watchfile.path_for(tmp_path, os.getpid()))
    assert on_disk.tokens_total == anyio.to_thread.current_default_thread_limiter().total_tokens
    assert on_disk.tokens_busy == 0


@pytest.mark.anyio
async def test_a_running_loop_is_not_blocked(tmp_path):
    async with watching(threshold_s=0.02, directory=tmp_path) as dog:
        for _ in range(40):
            await asyncio.sleep(0.01)
    assert dog.watch.loop_blocked_s == 0.0
    assert dog.watch.loop == {}


@pytest.mark.anyio
async def test_busy_threads_are_counted_with_what_they_do(tmp_path):
    async with watching(directory=tmp_path) as dog, anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(anyio.to_thread.run_sync, work_in_a_thread, 0.4)
        await asyncio.sleep(0.3)
        live = watchfile.read(watchfile.path_for(tmp_path, os.getpid()))
        assert live.tokens_busy == 4
    line = work_in_a_thread.__code__.co_firstlineno + 1
    busy = sites(dog.watch.threads)
    assert set(busy) == {f"time.sleep <- {THIS}:{line} work_in_a_thread"}
    assert 4 * 0.3 <= dog.watch.threads_busy_s <= 4 * 0.45  # four threads for 0.4 s, sampled every 20 ms
    assert dog.watch.loop_blocked_s == 0.0


@pytest.mark.anyio
async def test_the_live_lag_shows_while_the_loop_is_still_blocked(tmp_path):
    async with watching(directory=tmp_path):
        await asyncio.sleep(0.3)
        block_the_loop(0.6)  # read from outside during the stall, as the harness and the live page do
        seen = watchfile.read(watchfile.path_for(tmp_path, os.getpid()))
    assert seen.lag_s > 0.3
    assert seen.blocked_now.startswith("time.sleep <- tests/watch/test_watchdog.py:")


@pytest.mark.parametrize("threshold", [0, -1, float("nan")])
def test_a_threshold_must_be_positive(threshold):
    with closing(asyncio.new_event_loop()) as loop, pytest.raises(ValueError, match="positive"):
        Watchdog(loop, threshold_s=threshold)


@pytest.mark.parametrize(
    ("value", "why"),
    [("0", "greater than 0"), ("-5", "greater than 0"), ("soon", "valid number"), ("nan", "finite")],
)
def test_a_bad_threshold_refuses_to_start_in_one_line(value, why):
    env = {**os.environ, "ASYNCGAP_BLOCK_THRESHOLD_MS": value}
    done = subprocess.run(
        [sys.executable, "-m", "service.serve", "uvicorn-1w"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: ASYNCGAP_BLOCK_THRESHOLD_MS: ")
    assert why in line


@pytest.mark.anyio
async def test_any_fastapi_app_can_be_watched_from_its_lifespan(tmp_path, monkeypatch):
    """docs/blocking.md's snippet, on an app that knows nothing of the demo's routes."""
    monkeypatch.setenv("ASYNCGAP_METRICS_DIR", str(tmp_path))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with watching(threshold_s=0.02):
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/report")
    async def report() -> dict:
        time.sleep(0.3)  # the mistake the watchdog is for
        return {}

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client,
    ):
        await client.get("/report")
        await asyncio.sleep(0.3)
        seen = watchfile.read(watchfile.path_for(tmp_path, os.getpid()))
    ((callee, by_site),) = seen.loop.items()
    ((site, blocked),) = by_site.items()
    assert callee == "time.sleep"
    assert site.startswith(f"{THIS}:") and site.endswith(" report")
    assert 0.25 <= blocked <= 0.35


def test_a_bad_threshold_stops_uvicorn_started_by_hand_in_one_line():
    env = {**os.environ, "ASYNCGAP_BLOCK_THRESHOLD_MS": "-1"}
    done = subprocess.run(
        [sys.executable, "-m", "uvicorn", "service.app:app", "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == ["error: ASYNCGAP_BLOCK_THRESHOLD_MS: Input should be greater than 0"]
