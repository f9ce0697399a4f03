"""SIGTERM or Ctrl-C mid-run: finished cells kept, report marked incomplete, nothing left running."""

import json
import signal
import subprocess
import time

import psutil
import pytest

from asyncgap.core.matrix import load
from tests.cli import ASYNCGAP
from tests.e2e.processes import interrupt, port_free, restore_terminal_signals
from tests.paths import ROOT

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_interrupt_keeps_finished_cells_and_stops_everything(tmp_path, sig, status):
    out = tmp_path / "run"
    run = subprocess.Popen(
        [
            *ASYNCGAP,
            "run",
            "--setups",
            "uvicorn-1w",
            "--scenarios",
            "sleep",
            "--duration",
            "3",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=restore_terminal_signals,
    )
    started: set[psutil.Process] = set()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and run.poll() is None:  # first cell done, second loading
            started |= set(psutil.Process(run.pid).children(recursive=True))
            second_under_load = (out / "uvicorn-1w__sleep__async" / "locust.log").exists()
            if second_under_load and json.loads((out / "summary.json").read_text())["cells"]:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"the run never reached its second cell: {run.poll()=}")
        time.sleep(1.0)
        started |= set(psutil.Process(run.pid).children(recursive=True))
    finally:
        out_text, err = interrupt(run, sig, started, timeout=30)
    assert run.returncode == status, err + out_text[-1500:]
    assert "interrupted: keeping the 1 finished cell(s)" in err
    _, alive = psutil.wait_procs(list(started), timeout=10)
    assert alive == []
    assert all(port_free(p) for p in (load().upstream.port, load().setups["uvicorn-1w"].port))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] is False
    assert [c["variant"] for c in summary["cells"]] == ["sync"]
    assert "This run is incomplete" in (out / "report.html").read_text()
