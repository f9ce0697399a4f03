"""Calibration of a task that opens a client pool: its hot burst spans the pool's keep-alive cycle;
others keep a second."""

import json

import pytest

from asyncgap.cell.calibration import BURST_S, HOT_USERS, POOLED_BURST_S, STEPS_NAME
from asyncgap.core.records import load_summary
from tests.cli import asyncgap

pytestmark = pytest.mark.e2e


def test_an_upstream_call_is_measured_hot_over_its_pools_cycle_and_a_sleep_over_a_second(tmp_path):
    out = tmp_path / "run"
    done = asyncgap(
        "run",
        "--setups",
        "uvicorn-1w",
        "--scenarios",
        "sleep,upstream",
        "--variants",
        "async",
        "--users",
        "20",
        "--duration",
        "3",
        "--out",
        out,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    cells = {cell.scenario: cell for cell in load_summary(out).cells}
    assert all(cell.ok for cell in cells.values()), [cell.reason for cell in cells.values()]

    def windows(scenario: str) -> dict[str, float | None]:
        found = json.loads((out / cells[scenario].folder / "verify.json").read_text())["endpoints"]
        return {name: endpoint["hot_window_s"] for name, endpoint in found.items()}

    # /async/upstream's calls opened the AsyncClient's connections; a sleep opens none
    assert windows("upstream")["/async/upstream"] == POOLED_BURST_S
    assert windows("sleep")["/async/sleep"] == BURST_S
    assert windows("sleep")["/fast"] is None  # a call on the loop gets no burst: its batch is hot
    # a line as each step begins: the harness bounds each step, not the whole calibration
    steps = (out / cells["upstream"].folder / STEPS_NAME).read_text().splitlines()
    low = max(HOT_USERS, 20 // 4)  # a quarter of the burst's users first, for the backlog slope
    assert steps[steps.index("upstream: a check, then calls one at a time") + 1 :][:2] == [
        f"upstream: {low} users at once, measured over {BURST_S:g} s",
        f"upstream: 20 users at once, measured over {POOLED_BURST_S:g} s",
    ]
    calibrated = cells["upstream"].model.inputs.endpoints["/async/upstream"]
    assert calibrated.outbound_busy and calibrated.cpu_ms_busy > 0
