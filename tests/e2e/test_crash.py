"""A server that dies under load: its cell is marked failed with the reason, nothing crashes."""

import os
import signal
import threading
import time

import psutil
import pytest

from asyncgap.cell.context import Cores, RunContext
from asyncgap.cell.drive import run_cell
from asyncgap.cell.plan import Cell
from asyncgap.core import matrix

pytestmark = pytest.mark.e2e


def kill_listener_under_load(port: int, locust_log, deadline_s: float = 60.0) -> None:
    """Once Locust has been loading for a second or two, SIGKILL what listens on `port`."""
    deadline = time.monotonic() + deadline_s
    while not locust_log.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(2.0)
    for conn in psutil.net_connections("tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            os.kill(conn.pid, signal.SIGKILL)
            return


def test_a_server_killed_mid_cell_fails_the_cell_with_its_reason(tmp_path):
    the_matrix = matrix.load()
    cell = Cell("uvicorn-1w", "sleep", "async", users=20, duration_s=6, warmup_s=1)
    locust_log = tmp_path / "run" / cell.key / "locust.log"
    port = the_matrix.setups["uvicorn-1w"].port
    killer = threading.Thread(target=kill_listener_under_load, args=(port, locust_log))
    killer.start()
    result = run_cell(
        cell, RunContext(the_matrix, tmp_path / "run", tmp_path, "http://127.0.0.1:9", Cores(None, None, 1))
    )
    killer.join()
    assert result.status == "failed"
    assert result.reason == "the server exited with -9 during the load"
    assert "load_s" in result.timings
    error_text = (tmp_path / "run" / result.error_file).read_text()
    assert "Traceback" in error_text and "CellError" in error_text  # the log tail and where it was raised
