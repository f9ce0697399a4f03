"""Against a real uvicorn: who waits for whom, seen from outside, and a prompt exit on SIGTERM."""

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil
import pytest

from asyncgap.core.variants import VARIANTS
from asyncgap.engines.server import free_port, serving

pytestmark = pytest.mark.e2e

FAST_S = 0.3  # /fast on an idle loop answers in ~1 ms; this leaves room for a busy 2-core machine
STARVED_S = 0.8  # a 1.5 s block of the loop delays /fast by about that much


@pytest.fixture(scope="module")
def service(upstream, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("live")
    env = {"ASYNCGAP_DATABASE_URL": f"sqlite:///{tmp}/asyncgap.db", "ASYNCGAP_UPSTREAM_URL": upstream.url}
    with serving("uvicorn-1w", port=free_port(), log_path=tmp / "server.log", env=env) as server:
        yield server
    assert "Traceback" not in server.log_tail(200)


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=30)


def seconds_for(url: str) -> float:
    started = time.perf_counter()
    assert get(url).status_code == 200
    return time.perf_counter() - started


def wait_until(condition, what: str, timeout: float = 10.0) -> None:
    """Poll (every 20 ms) until `condition()` holds: a readiness check, not a guess."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def in_flight(url: str, scrape) -> float:
    return scrape(url, "asyncgap_requests_in_flight")[""] - 1  # minus the scrape itself


def test_fast_stays_fast_while_sync_and_async_work_waits(service, scrape):
    slow = [f"/{v}/{work}?ms=2000" for v in ("sync", "async") for work in ("sleep", "upstream")] * 2
    with ThreadPoolExecutor(len(slow)) as pool:
        calls = [pool.submit(get, service.url + path) for path in slow]
        wait_until(lambda: in_flight(service.url, scrape) >= len(slow), "the slow calls to start")
        wait_until(
            lambda: sum(scrape(service.url, "asyncgap_thread_tokens_busy").values()) >= 4,
            "the sync calls to hold thread tokens",
        )
        latencies = [seconds_for(f"{service.url}/fast") for _ in range(5)]
        assert all(not call.done() for call in calls), "the slow calls must still be in flight"
        assert [call.result().status_code for call in calls] == [200] * len(slow)
    assert max(latencies) < FAST_S, latencies


@pytest.mark.parametrize("work", ["sleep", "upstream"])
def test_fast_starves_while_async_blocking_work_runs(service, scrape, work):
    with ThreadPoolExecutor(1) as pool:
        blocker = pool.submit(get, f"{service.url}/async-blocking/{work}?ms=1500")
        worst = 0.0
        while not blocker.done():  # one of these lands while the loop is blocked
            worst = max(worst, seconds_for(f"{service.url}/fast"))
        assert blocker.result().status_code == 200
    lag = scrape(service.url, "asyncgap_event_loop_lag_seconds")
    assert worst > STARVED_S
    assert max(lag.values()) > STARVED_S, lag


def test_hello_stays_fast_while_slow_blocking_runs_in_the_thread_pool(service, scrape):
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(get, f"{service.url}/slow-blocking?seconds=1.5")
        wait_until(lambda: in_flight(service.url, scrape) >= 1, "/slow-blocking to start")
        latencies = [seconds_for(f"{service.url}/hello") for _ in range(5)]
        assert slow.result().status_code == 200
    assert max(latencies) < FAST_S, latencies


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_exits_within_5_s_of_a_signal_after_db_work_with_requests_in_flight(
    server_env, tmp_path, scrape, sig
):
    """SIGINT too: uvicorn re-raises it as KeyboardInterrupt, so a leaked non-daemon thread hangs exit."""
    with serving("uvicorn-1w", port=free_port(), log_path=tmp_path / "server.log", env=server_env) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for variant in VARIANTS:
                assert client.post(f"/{variant}/notes", json={"text": "before exit"}).status_code == 201
                assert client.get(f"/{variant}/notes").status_code == 200
                assert client.get(f"/{variant}/query?n=1000").status_code == 200
            assert client.get("/async/cpu?n=1000").status_code == 200  # starts a pool process
        processes = [psutil.Process(pid) for pid in server.pids]
        assert len(processes) >= 2, "the uvicorn process and its cpu pool child"
        with ThreadPoolExecutor(2) as pool:
            pending = [
                pool.submit(get, f"{server.url}/async/sleep?ms=1000"),
                pool.submit(get, f"{server.url}/async/query?n=1000000"),
            ]
            wait_until(lambda: in_flight(server.url, scrape) >= 2, "the in-flight requests")
            started = time.monotonic()
            os.kill(server.process.pid, sig)
            server.process.wait(timeout=10)
            elapsed = time.monotonic() - started
            assert [p.result().status_code for p in pending] == [200, 200]  # graceful
    assert elapsed < 5.0
    assert server.process.returncode in (0, -sig, 128 + sig)  # uvicorn re-raises the signal once done
    log = server.log_tail(100)
    assert "Application shutdown complete" in log and "Traceback" not in log
    _, alive = psutil.wait_procs(processes, timeout=3)  # multiprocessing's resource tracker exits just after
    assert not alive
