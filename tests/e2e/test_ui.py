"""`asyncgap ui`: the Locust web UI on loopback with the live page; Ctrl-C leaves nothing behind."""

import signal
import subprocess
import time

import httpx
import psutil
import pytest

from asyncgap.core.matrix import load
from tests.cli import ASYNCGAP
from tests.e2e.processes import interrupt, port_free, restore_terminal_signals
from tests.paths import ROOT

pytestmark = pytest.mark.e2e
WEB = "http://127.0.0.1:8089"


def wait_for(url: str, timeout: float = 60.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"{url} never answered")


def test_ui_serves_locust_and_the_live_page_then_stops_cleanly():
    ui = subprocess.Popen(
        [*ASYNCGAP, "ui", "--setups", "uvicorn-1w"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=restore_terminal_signals,
    )
    started: list[psutil.Process] = []
    try:
        assert wait_for(f"{WEB}/").status_code == 200
        live = wait_for(f"{WEB}/asyncgap/live.json").json()
        assert live["error"] is None
        assert live["host"] == f"http://127.0.0.1:{load().setups['uvicorn-1w'].port}"
        (worker,) = live["workers"].values()
        assert worker["tokens_total"] == 40
        listening = {c.laddr.port: c.laddr.ip for c in psutil.net_connections("tcp") if c.status == "LISTEN"}
        for port in (8089, load().upstream.port, load().setups["uvicorn-1w"].port):
            assert listening[port] == "127.0.0.1", port
        started = psutil.Process(ui.pid).children(recursive=True)
        assert len(started) >= 3  # upstream, server, Locust (each in its own process group)
    finally:
        if not started and ui.poll() is None:
            started = psutil.Process(ui.pid).children(recursive=True)
        out, _ = interrupt(ui, signal.SIGINT, started, timeout=20)
    assert ui.returncode == 130, out
    _, alive = psutil.wait_procs(started, timeout=10)
    assert alive == []
    assert all(port_free(p) for p in (8089, load().upstream.port, load().setups["uvicorn-1w"].port))
