"""How long a cell spreads its users' starts: one user's cycle, so that they come back spread."""

import json
from pathlib import Path

import pytest

from asyncgap.cell import drive
from asyncgap.cell.calibration import VERIFY_NAME
from asyncgap.cell.model import Server, cycle_s, predict
from asyncgap.core import matrix
from asyncgap.core.levels import START_LIMIT_S
from asyncgap.core.prediction import EndpointCalibration
from asyncgap.engines import swarm


def sleeps(think_ms: float) -> dict[str, EndpointCalibration]:
    """Three sleeps of a task, a third of the requests each, the task's think time shared by them."""
    return {
        f"POST /api{i}": EndpointCalibration(
            method="POST",
            station="threads",
            share=1 / 3,
            round_trip_ms=ms,
            think_ms=think_ms / 3,
            service_ms=ms,
            cpu_ms_alone=0.5,
            cpu_ms_busy=0.5,
        )
        for i, ms in enumerate((500.0, 250.0, 100.0))
    }


def jitter_s(folder: Path, *, warmup_s: float = 3.0, think_ms: float = 4000.0) -> float:
    spec = swarm.SwarmSpec(
        scenario=matrix.load().scenarios["sleep"],
        variant="sync",
        host="http://127.0.0.1:8101",
        users=300,
        duration_s=15,
        warmup_s=warmup_s,
        out_dir=folder,
    )
    prediction = predict(sleeps(think_ms), 300, Server(workers=1))
    return drive._desynced(spec, [prediction]).start_jitter_s


def calibrated(folder: Path, user_cycle_s: float | None) -> Path:
    (folder / VERIFY_NAME).write_text(json.dumps({"endpoints": {}, "user_cycle_s": user_cycle_s}))
    return folder


def test_users_start_spread_over_a_whole_users_cycle_not_one_request_of_it(tmp_path: Path):
    # three calls of 850 ms in all, then 4 s of thinking: a user's task comes back every 4.85 s,
    # where a request's cycle (its round trip and its share of the think time) is a third of it
    assert jitter_s(calibrated(tmp_path, 4.85)) == 4.85
    assert cycle_s(sleeps(4000.0)) == pytest.approx(4.85 / 3)
    # longer than the warm-up: the warm-up begins once every user has started (load/starts.py)
    assert jitter_s(calibrated(tmp_path, 4.85), warmup_s=1.0) == 4.85


def test_without_the_users_cycle_the_spread_is_a_requests(tmp_path: Path):
    assert jitter_s(tmp_path) == pytest.approx(round(4.85 / 3, 4))  # no verify.json
    assert jitter_s(calibrated(tmp_path, None)) == pytest.approx(round(4.85 / 3, 4))


def test_the_spread_stays_within_the_wait_for_users_and_needs_a_warm_up(tmp_path: Path):
    assert jitter_s(calibrated(tmp_path, 600.0)) == START_LIMIT_S / 2  # a user who thinks for minutes
    assert jitter_s(calibrated(tmp_path, 4.85), warmup_s=0.0) == 0.0  # no warm-up: no wait to hold it
