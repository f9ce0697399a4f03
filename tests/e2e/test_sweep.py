"""A real sweep: one server and one swarm per cell, three levels of users, each measured and
predicted; async grows with its users, async-blocking stays flat on its one event loop."""

import json
from pathlib import Path

import pytest

from asyncgap.cell import model
from asyncgap.cell.drive import LEVEL_PREDICTIONS_NAME, PREDICTION_NAME
from asyncgap.core.prediction import Model
from asyncgap.core.records import load_summary
from asyncgap.engines.swarm import LEVELS_NAME
from asyncgap.views import compare
from tests.cli import ONE_WORKER_SLEEP, asyncgap

pytestmark = pytest.mark.e2e

LEVELS = [1, 10, 40]
LEVEL_KEYS = {"users", "rps", "p50_ms", "p95_ms", "fast_p95_ms", "predicted_rps", "predicted_latency_ms"}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "run"
    done = asyncgap(
        "run",
        *ONE_WORKER_SLEEP,
        "--variants",
        "async,async-blocking",
        "--users",
        ",".join(map(str, LEVELS)),
        "--duration",
        "8",
        "--out",
        str(out),
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:] + done.stdout[-2000:]
    return out


def rps(out: Path, variant: str) -> list[float]:
    cell = next(c for c in load_summary(out).cells if c.variant == variant)
    return [level.rps for level in cell.levels]


def test_every_level_is_recorded_with_the_contracts_figures(sweep):
    cells = json.loads((sweep / "summary.json").read_text())["cells"]
    assert [c["variant"] for c in cells] == ["async", "async-blocking"]
    for cell in cells:
        assert cell["status"] == "ok" and cell["users"] == LEVELS[-1]
        assert [level["users"] for level in cell["levels"]] == LEVELS
        for level in cell["levels"]:
            assert set(level) >= LEVEL_KEYS and all(level[k] is not None for k in LEVEL_KEYS), level
            assert level["failures"] == 0
            little = 1000 * level["users"] / level["predicted_rps"]  # Little's law, no think time
            assert level["predicted_latency_ms"] == pytest.approx(little, abs=0.01)
        assert cell["rps"] == cell["levels"][-1]["rps"]  # the cell's figures are its last level's


def test_async_grows_with_its_users(sweep):
    one, ten, forty = rps(sweep, "async")
    assert ten > 3 * one and forty > 2 * ten, (one, ten, forty)


def test_async_blocking_stays_flat_on_its_one_event_loop(sweep):
    """Flat: every level within 20% of the one loop's bound, which does not move with the users.
    (At about 11 requests a second, a few steady seconds count in steps of 2-3%; the levels' spread
    around the line, not between two noisy levels, is what a flat curve promises.)"""
    cell = next(c for c in load_summary(sweep).cells if c.variant == "async-blocking")
    predicted = [level.predicted_rps for level in cell.levels]
    assert max(predicted) <= 1.02 * min(predicted), predicted  # the model's line is flat
    ratios = [level.rps / level.predicted_rps for level in cell.levels]
    assert all(0.8 <= ratio <= 1.2 for ratio in ratios), ratios


def test_each_level_was_predicted_from_the_calibration_before_the_load(sweep):
    for cell in load_summary(sweep).cells:
        folder = sweep / cell.folder
        saved = json.loads((folder / LEVEL_PREDICTIONS_NAME).read_text())
        predictions = [Model.model_validate(m) for m in saved]
        assert [m.inputs.users for m in predictions] == LEVELS
        assert (folder / PREDICTION_NAME).stat().st_mtime < (folder / LEVELS_NAME).stat().st_mtime
        assert all(m.inputs.endpoints == cell.model.inputs.endpoints for m in predictions)


def test_the_model_places_the_async_blocking_knee_at_one_user(sweep):
    cell = next(c for c in load_summary(sweep).cells if c.variant == "async-blocking")
    knee = model.knee(cell.model.inputs)
    assert (knee.bound, round(knee.users)) == ("loop", 1)
    assert "throughput against users" in (sweep / "report.html").read_text()


def test_compare_pairs_the_levels(sweep):
    rows = compare.compare(sweep, sweep)
    pairs = [(v, n) for v in ("async", "async-blocking") for n in LEVELS]
    assert [(r["variant"], r["users"]) for r in rows] == pairs
    assert {r["verdict"] for r in rows} <= {"not significant", "too few samples"}
