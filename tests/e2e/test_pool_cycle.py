"""Calibration of a task that opens a client pool: its hot burst spans the pool's keep-alive cycle."""

import json

import pytest

from asyncgap.cell.calibration import BURST_S, POOLED_BURST_S
from asyncgap.core.records import load_summary
from tests.cli import asyncgap

pytestmark = pytest.mark.e2e


def test_an_upstream_call_is_measured_hot_over_its_pools_cycle_and_fast_over_a_second(tmp_path):
    out = tmp_path / "run"
    done = asyncgap(
        "run",
        "--setups",
        "uvicorn-1w",
        "--scenarios",
        "upstream",
        "--variants",
        "async",
        "--users",
        "20",
        "--duration",
        "3",
        "--out",
        out,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (cell,) = load_summary(out).cells
    assert cell.ok, cell.reason
    endpoints = json.loads((out / cell.dir / "verify.json").read_text())["endpoints"]
    # /async/upstream's calls opened the AsyncClient's connections; /fast opened none
    assert endpoints["/async/upstream"]["hot_window_s"] == POOLED_BURST_S
    assert endpoints["/fast"]["hot_window_s"] == BURST_S
    calibrated = cell.model.inputs.endpoints["/async/upstream"]
    assert calibrated.outbound_busy and calibrated.cpu_ms_busy > 0
