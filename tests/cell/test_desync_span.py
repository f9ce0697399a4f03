"""How long a cell spreads its users' starts: one user's cycle, so that they come back spread."""

import json
from pathlib import Path

from asyncgap.cell import drive
from asyncgap.cell.calibration import VERIFY_NAME
from asyncgap.core import matrix
from asyncgap.core.levels import START_LIMIT_S
from asyncgap.engines import swarm


def jitter_s(folder: Path, *, warmup_s: float = 3.0) -> float:
    spec = swarm.SwarmSpec(
        scenario=matrix.load().scenarios["sleep"],
        variant="sync",
        host="http://127.0.0.1:8101",
        users=300,
        duration_s=15,
        warmup_s=warmup_s,
        out_dir=folder,
    )
    return drive._desynced(spec).start_jitter_s


def calibrated(folder: Path, user_cycle_s: float | None) -> Path:
    (folder / VERIFY_NAME).write_text(json.dumps({"endpoints": {}, "user_cycle_s": user_cycle_s}))
    return folder


def test_users_start_spread_over_a_whole_users_cycle(tmp_path: Path):
    # three calls of 850 ms in all, then 4 s of thinking: a user's task comes back every 4.85 s
    assert jitter_s(calibrated(tmp_path, 4.85)) == 4.85
    # longer than the warm-up: the warm-up begins once every user has started (load/starts.py)
    assert jitter_s(calibrated(tmp_path, 4.85), warmup_s=1.0) == 4.85


def test_the_spread_stays_within_the_wait_for_users_and_needs_a_warm_up(tmp_path: Path):
    assert jitter_s(calibrated(tmp_path, 600.0)) == START_LIMIT_S / 2  # a user who thinks for minutes
    assert jitter_s(calibrated(tmp_path, 4.85), warmup_s=0.0) == 0.0  # no warm-up: no wait to hold it


def test_no_calibrated_cycle_no_spread(tmp_path: Path):
    assert jitter_s(tmp_path) == 0.0  # calibration did not run
    assert jitter_s(calibrated(tmp_path, None)) == 0.0  # it ran no task
