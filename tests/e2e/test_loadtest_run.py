"""A real run of the harness: the results contract, and the gap in the right order."""

import json
from datetime import datetime

import pytest

from asyncgap.cell.model import recompute
from asyncgap.core import matrix
from asyncgap.core.prediction import Model
from asyncgap.core.records import SCHEMA_VERSION, load_summary
from asyncgap.core.variants import VARIANTS
from asyncgap.views import check
from tests.cli import ONE_WORKER_SLEEP, asyncgap

pytestmark = pytest.mark.e2e

CELL_KEYS = {
    "setup",
    "scenario",
    "variant",
    "users",
    "duration_s",
    "requests",
    "failures",
    "rps",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "predicted_rps",
    "endpoints",
}


def cells_by_key(out) -> dict[tuple[str, str], dict]:
    summary = json.loads((out / "summary.json").read_text())
    return {(c["setup"], c["variant"]): c for c in summary["cells"]}


def test_run_succeeds_and_writes_the_contract(tiny_run):
    done, out = tiny_run
    assert done.returncode == 0, done.stderr[-2000:] + done.stdout[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] is True
    assert summary["schema_version"] == SCHEMA_VERSION
    assert len(summary["cells"]) == 6
    for cell in summary["cells"]:
        assert cell["status"] == "ok", cell.get("reason")
        assert set(cell) >= CELL_KEYS
        work = f"/{cell['variant']}/sleep"
        # A blocked loop may finish no /fast probe in a 4 s cell: then the probe has no figures.
        assert {"/fast", work} <= set(cell["endpoints"]) or cell["variant"] == "async-blocking"
        assert CELL_KEYS - {"setup", "scenario", "variant", "users", "duration_s", "endpoints"} <= set(
            cell["endpoints"][work]
        )
        assert cell["failures"] == 0
        cell_dir = out / f"{cell['setup']}__sleep__{cell['variant']}"
        for name in (
            "locust.json",
            "locust_stats.csv",
            "locust_stats_history.csv",
            "locust.html",
            "samples.json",
        ):
            assert (cell_dir / name).is_file(), name
    meta = json.loads((out / "meta.json").read_text())
    assert {"versions", "cpu_count", "argv", "matrix", "cells"} <= set(meta)
    assert (out / "report.html").stat().st_size > 100_000  # plotly.js is embedded: it opens offline


def test_the_summary_says_how_long_the_run_took(tiny_run):
    """Longer than its cells' loads end to end, and no longer than from its start to the summary."""
    _, out = tiny_run
    summary = json.loads((out / "summary.json").read_text())
    started = datetime.fromisoformat(json.loads((out / "meta.json").read_text())["started_utc"])
    written = (out / "summary.json").stat().st_mtime - started.timestamp()
    assert sum(cell["duration_s"] for cell in summary["cells"]) < summary["wall_s"] <= written + 0.05


def test_async_beats_sync_beats_async_blocking_by_wide_margins(tiny_run):
    """Theory: 1 worker 1111 / 444 / 11 rps; 2 workers 1111 / 889 / 22 (sync nears async)."""
    _, out = tiny_run
    cells = cells_by_key(out)
    one = {v: cells["uvicorn-1w", v]["rps"] for v in VARIANTS}
    assert one["async"] > 1.5 * one["sync"] > 15 * one["async-blocking"], one
    two = {v: cells["uvicorn-2w", v]["rps"] for v in VARIANTS}
    assert two["async"] > two["sync"] > 10 * two["async-blocking"], two
    assert two["async-blocking"] > 1.5 * one["async-blocking"]  # one more event loop


def test_the_scenario_expectations_hold(tiny_run):
    """The same check `asyncgap run --check` makes, from matrix.toml's `expect`."""
    _, out = tiny_run
    assert check.broken_expectations(load_summary(out).cells, matrix.load()) == []


def test_check_fails_when_a_cell_it_needs_was_not_run(tmp_path):
    """`--check --variants sync` used to pass having checked nothing: now it names what it could not check."""
    done = asyncgap(
        "run",
        *ONE_WORKER_SLEEP,
        "--variants",
        "sync",
        "--duration",
        "3",
        "--check",
        "--out",
        str(tmp_path / "run"),
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "check failed: sleep on uvicorn-1w: cannot check that async beats sync 1.5x" in done.stderr
    assert load_summary(tmp_path / "run").cells[0].ok  # the cell itself ran fine


def test_the_probe_starves_only_when_the_loop_is_blocked(tiny_run):
    _, out = tiny_run
    cells = cells_by_key(out)
    fast = {v: cells["uvicorn-1w", v]["endpoints"].get("/fast") for v in VARIANTS}
    assert fast["sync"] and fast["async"], fast  # answered within a few ms
    blocked, quick = fast["async-blocking"], max(fast["sync"]["p50_ms"], fast["async"]["p50_ms"], 1)
    # No probe finished in the measured window (starved outright), or it took 10x as long.
    assert blocked is None or blocked["p50_ms"] > 10 * quick, fast


def test_one_worker_measurements_are_near_theory(tiny_run):
    """A wide band: this checks the model is wired right, `make bench` measures fidelity."""
    _, out = tiny_run
    cells = cells_by_key(out)
    for variant in VARIANTS:
        ratio = cells["uvicorn-1w", variant]["measured_over_predicted"]
        assert 0.5 < ratio < 1.5, (variant, ratio)


@pytest.mark.parametrize(
    ("variant", "bounds"),
    [
        ("sync", {"threads"}),
        # 100 users' ~1,000 rps: on a busy machine the hot CPU per request may bind first.
        ("async", {"connections", "cpu"}),
        ("async-blocking", {"loop"}),
    ],
)
def test_each_sleep_cell_names_the_station_that_binds_it(tiny_run, variant, bounds):
    _, out = tiny_run
    cell = next(c for c in load_summary(out).cells if (c.setup, c.variant) == ("uvicorn-1w", variant))
    assert cell.model.bound in bounds, cell.model.bounds_rps
    assert cell.predicted_rps == min(cell.model.bounds_rps.values())
    assert cell.predicted_rps == recompute(cell.model.inputs).predicted_rps


def test_the_prediction_was_written_before_the_load(tiny_run):
    """prediction.json is not rewritten after the load, and the even-split figure is its bound."""
    _, out = tiny_run
    for cell in load_summary(out).cells:
        folder = out / cell.folder
        prediction = Model.model_validate_json((folder / "prediction.json").read_text())
        assert (folder / "prediction.json").stat().st_mtime < (folder / "locust.json").stat().st_mtime
        assert prediction.predicted_rps == cell.predicted_rps_even_split
        assert prediction.inputs.endpoints == cell.model.inputs.endpoints


def test_each_cell_keeps_the_pace_of_its_cores_in_calibration_and_under_load(tiny_run):
    """The run's timer ran on the server's cores: each calibration batch and burst kept the pace
    it was measured at, the model the pace before the load, and the load measured its own."""
    _, out = tiny_run
    for cell in load_summary(out).cells:
        endpoints = cell.model.inputs.endpoints.values()
        assert all(e.pace_alone_ms and 0 < e.pace_alone_ms < 100 for e in endpoints), cell.folder
        assert all(e.pace_busy_ms and 0 < e.pace_busy_ms < 100 for e in endpoints), cell.folder
        assert all(e.pace_expected_ms and 0 < e.pace_expected_ms < 100 for e in endpoints), cell.folder
        assert cell.pace_ms and 0 < cell.pace_ms < 100, cell.folder


def test_cpu_cells_are_bound_by_cpu(tmp_path):
    out = tmp_path / "run"
    done = asyncgap(
        "run",
        "--setups",
        "uvicorn-1w",
        "--scenarios",
        "cpu",
        "--variants",
        "sync,async",
        "--duration",
        "4",
        "--out",
        str(out),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert {c.variant: c.model.bound for c in load_summary(out).cells} == {"sync": "cpu", "async": "cpu"}
