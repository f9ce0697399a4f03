"""The live page under an async-blocking swarm: it still answers, in a real browser, with the lag
and the call site that blocks the loop (read from the watch files, not through the loop)."""

import html
import os
import re
import signal
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from asyncgap.core.matrix import load
from tests.cli import ASYNCGAP
from tests.e2e.processes import interrupt, restore_terminal_signals
from tests.e2e.test_report_browser import CHROMIUM
from tests.e2e.test_ui import WEB, wait_for
from tests.paths import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
SITE = "time.sleep <- service/routes/sleep.py:"
SWARM_S = 40  # bounded; stopped as soon as the checks are done


def swarm_argv(host: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        "locustfiles/sleep_mix.py",
        "--headless",
        "--host",
        host,
        "--users",
        "20",
        "--spawn-rate",
        "20",
        "--run-time",
        f"{SWARM_S}s",
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--variant",
        "async-blocking",
    ]


def live_while_blocked(timeout: float = 20.0) -> dict:
    """A live.json reading that shows the loop blocked: the sleep route named, lag above 50 ms."""
    deadline = time.monotonic() + timeout
    live: dict = {}
    while time.monotonic() < deadline:
        live = httpx.get(f"{WEB}/asyncgap/live.json", timeout=5).json()
        workers = list(live["workers"].values())
        if workers and workers[0]["lag_s"] > 0.05 and workers[0]["blocked_by"].startswith(SITE):
            return live
        time.sleep(0.5)
    pytest.fail(f"the live page never showed the blocked loop: {live}")


def test_the_live_page_names_the_call_that_blocks_the_loop(tmp_path):
    ui = subprocess.Popen(
        [*ASYNCGAP, "ui", "--setups", "uvicorn-1w"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=restore_terminal_signals,
    )
    swarm = None
    started: list[psutil.Process] = []
    try:
        assert wait_for(f"{WEB}/asyncgap/live.json").status_code == 200
        host = f"http://127.0.0.1:{load().setups['uvicorn-1w'].port}"
        swarm = subprocess.Popen(
            swarm_argv(host),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        live = live_while_blocked()
        assert live["source"] == "files"
        assert live["error"] is None
        # the browser: the page's own script draws the same reading
        done = subprocess.run(
            [*CHROMIUM, "--virtual-time-budget=3000", "--dump-dom", f"{WEB}/asyncgap/live"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr[-1000:]
        lags = [float(ms) for ms in re.findall(r'class="lag[^"]*">([\d.]+) ms', done.stdout)]
        assert lags and max(lags) > 50, done.stdout[-2000:]
        assert SITE in html.unescape(done.stdout)  # drawn as text: '<' escaped in the DOM
        png = tmp_path / "live.png"
        subprocess.run([ROOT / "scripts/screenshot-live.sh", png], check=True, timeout=90)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        started = psutil.Process(ui.pid).children(recursive=True)
    finally:
        if swarm is not None:
            os.killpg(swarm.pid, signal.SIGKILL)  # its own session: Locust and anything it forked
            swarm.wait(timeout=10)
        if not started and ui.poll() is None:
            started = psutil.Process(ui.pid).children(recursive=True)
        out, _ = interrupt(ui, signal.SIGINT, started, timeout=20)
    assert ui.returncode == 130, out
