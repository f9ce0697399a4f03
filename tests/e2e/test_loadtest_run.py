"""A real run of the harness: the results contract, and the gap in the right order."""

import json

import pytest

from core import matrix
from core.variants import VARIANTS
from loadtest import check

pytestmark = pytest.mark.e2e

CELL_KEYS = {"setup", "scenario", "variant", "users", "duration_s", "requests", "failures", "rps",
             "p50_ms", "p95_ms", "p99_ms", "predicted_rps", "endpoints"}  # fmt: skip


def cells_by_key(out) -> dict[tuple[str, str], dict]:
    summary = json.loads((out / "summary.json").read_text())
    return {(c["setup"], c["variant"]): c for c in summary["cells"]}


def test_run_succeeds_and_writes_the_contract(tiny_run):
    done, out = tiny_run
    assert done.returncode == 0, done.stderr[-2000:] + done.stdout[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] is True
    assert len(summary["cells"]) == 6
    for cell in summary["cells"]:
        assert cell["status"] == "ok", cell.get("reason")
        assert set(cell) >= CELL_KEYS
        assert {"/fast", f"/{cell['variant']}/sleep"} <= set(cell["endpoints"])
        assert CELL_KEYS - {"setup", "scenario", "variant", "users", "duration_s", "endpoints"} <= set(
            cell["endpoints"]["/fast"]
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
    """The same check `loadtest run --check` makes, from matrix.toml's `expect`."""
    _, out = tiny_run
    cells = json.loads((out / "summary.json").read_text())["cells"]
    assert check.broken_expectations(cells, matrix.load()) == []


def test_the_probe_starves_only_when_the_loop_is_blocked(tiny_run):
    _, out = tiny_run
    cells = cells_by_key(out)
    fast_p50 = {v: cells["uvicorn-1w", v]["endpoints"]["/fast"]["p50_ms"] for v in VARIANTS}
    assert fast_p50["async-blocking"] > 10 * max(fast_p50["sync"], fast_p50["async"], 1), fast_p50


def test_one_worker_measurements_are_near_theory(tiny_run):
    """A wide band: this checks the model is wired right, `make bench` measures fidelity."""
    _, out = tiny_run
    cells = cells_by_key(out)
    for variant in VARIANTS:
        ratio = cells["uvicorn-1w", variant]["measured_over_predicted"]
        assert 0.5 < ratio < 1.5, (variant, ratio)
