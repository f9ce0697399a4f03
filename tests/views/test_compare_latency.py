"""compare tests p95 as it tests rps: exact per-second p95s from the HDR histograms, a bootstrap
interval, "not significant" for the same code, and --fail-on-regression on a worse p95."""

import json
import random
from pathlib import Path

import pytest

from asyncgap.cell.exact import HDR_NAME
from asyncgap.core import latency
from asyncgap.core.records import CellResult, RunSummary
from asyncgap.engines.swarm import JSON_NAME
from asyncgap.views import compare

SECONDS = range(1000, 1012)
PER_SECOND = 300


def make_run(root: Path, name: str, *, slower: float = 1.0, seed: int = 1, histograms: bool = True) -> Path:
    """A run of one sync cell: 300 requests a second, latencies near 100 ms times `slower`."""
    rng = random.Random(seed)
    run_dir = root / name
    cell_dir = run_dir / "uvicorn-1w__sleep__sync"
    cell_dir.mkdir(parents=True)
    seconds: latency.Seconds = {}
    counts = {}
    for second in SECONDS:
        counts[str(second)] = PER_SECOND + rng.randint(-5, 5)
        histogram = seconds.setdefault(second, {}).setdefault("/sync/sleep", latency.new())
        for _ in range(counts[str(second)]):
            latency.record(histogram, rng.lognormvariate(4.6, 0.1) * slower)
    if histograms:
        latency.save(cell_dir / HDR_NAME, seconds)
    (cell_dir / JSON_NAME).write_text(
        json.dumps([{"name": "/sync/sleep", "method": "GET", "num_reqs_per_sec": counts}])
    )
    p95 = latency.percentiles_ms(latency.merge(h for s in seconds.values() for h in s.values()))["p95_ms"]
    cell = CellResult(
        setup="uvicorn-1w",
        scenario="sleep",
        variant="sync",
        users=100,
        status="ok",
        requests=sum(counts.values()),
        failures=0,
        rps=sum(counts.values()) / len(SECONDS),
        p50_ms=round(100 * slower, -1),
        p95_ms=round(p95, -1),  # Locust's rounding
    )
    RunSummary(cells=[cell]).save(run_dir)
    return run_dir


def only_row(a: Path, b: Path) -> dict:
    [row] = compare.compare(a, b)
    return row


def test_the_same_code_twice_is_not_significant(tmp_path):
    row = only_row(make_run(tmp_path, "a", seed=1), make_run(tmp_path, "b", seed=2))
    assert row["p95_verdict"] == "not significant"
    assert row["p95_ci_low"] < row["p95_change"] < row["p95_ci_high"]
    assert compare.regressions([row], 5) == []


def test_a_slower_tail_is_called_higher_with_its_interval(tmp_path):
    row = only_row(make_run(tmp_path, "a", seed=1), make_run(tmp_path, "b", slower=1.3, seed=2))
    assert row["p95_verdict"] == "higher"
    assert row["p95_change"] == pytest.approx(0.3, abs=0.03)
    assert 0 < row["p95_ci_low"] < row["p95_change"] < row["p95_ci_high"]
    assert row["p95_b"] / row["p95_a"] == pytest.approx(1 + row["p95_change"])
    assert compare.regressions([row], 20) == [row]
    assert compare.regressed(row, 20) == [f"{row['p95_change']:+.1%} p95"]
    assert compare.regressions([row], 40) == []


def test_a_faster_tail_is_lower_and_no_regression(tmp_path):
    row = only_row(make_run(tmp_path, "a", slower=1.3, seed=1), make_run(tmp_path, "b", seed=2))
    assert row["p95_verdict"] == "lower"
    assert compare.regressions([row], 5) == []


def test_a_run_without_histograms_keeps_locusts_change_untested(tmp_path):
    row = only_row(make_run(tmp_path, "a", histograms=False), make_run(tmp_path, "b", slower=1.3, seed=2))
    assert row["p95_verdict"] == "no exact latency"
    assert "p95_ci_low" not in row
    assert row["p95_change"] == pytest.approx(0.3, abs=0.1)  # Locust's rounded figures, as before
