"""compare: known verdicts on checked-in runs (3 repeats a cell), exit codes of the CLI."""

import shutil
import subprocess
from pathlib import Path

import pytest

from asyncgap.views import compare
from tests.cli import asyncgap

RUNS = Path(__file__).resolve().parent.parent / "fixtures" / "runs"


def verdicts(b: str) -> dict[str, str]:
    return {row["variant"]: row["verdict"] for row in compare.compare(RUNS / "base", RUNS / b)}


@pytest.mark.parametrize(
    ("run_b", "expected"),
    [
        ("same", {"sync": "not significant", "async": "not significant"}),
        ("faster", {"sync": "faster", "async": "not significant"}),
        ("slower", {"sync": "slower", "async": "not significant"}),
        ("noisy", {"sync": "not significant", "async": "not significant"}),
    ],
)
def test_known_verdicts(run_b, expected):
    assert verdicts(run_b) == expected


def test_change_and_interval_are_relative_to_a():
    row = next(r for r in compare.compare(RUNS / "base", RUNS / "slower") if r["variant"] == "sync")
    assert row["rps_change"] == pytest.approx(-0.25, abs=0.005)
    assert row["ci_low"] < row["rps_change"] < row["ci_high"] < 0
    assert row["basis"] == "3 repeats"


def test_bootstrap_is_deterministic_and_needs_two_samples():
    assert compare.bootstrap_change([1, 2, 3], [2, 3, 4]) == compare.bootstrap_change([1, 2, 3], [2, 3, 4])
    assert compare.bootstrap_change([1], [2, 3]) is None


def test_regressions_respect_the_threshold():
    rows = compare.compare(RUNS / "base", RUNS / "slower")
    assert [r["variant"] for r in compare.regressions(rows, 10)] == ["sync"]
    assert compare.regressions(rows, 30) == []


def test_no_common_cells(tmp_path):
    other = tmp_path / "other"
    shutil.copytree(RUNS / "base", other)
    text = (other / "summary.json").read_text().replace("uvicorn-1w", "gunicorn-2w")
    (other / "summary.json").write_text(text)
    with pytest.raises(compare.CompareError, match="no cell in common"):
        compare.compare(RUNS / "base", other)


def cli(*args: str) -> subprocess.CompletedProcess:
    return asyncgap("compare", *args)


@pytest.fixture
def copies(tmp_path) -> Path:
    for name in ("base", "slower"):
        shutil.copytree(RUNS / name, tmp_path / name)
    return tmp_path


def test_cli_writes_compare_html_and_fails_on_regression(copies):
    done = cli(str(copies / "base"), str(copies / "slower"), "--fail-on-regression", "10")
    assert done.returncode == 1
    assert "regression: uvicorn-1w sleep sync: -24.9% rps" in done.stderr
    assert (copies / "slower" / "compare.html").stat().st_size > 100_000
    assert cli(str(copies / "base"), str(copies / "slower"), "--fail-on-regression", "30").returncode == 0
    assert cli(str(copies / "base"), str(copies / "slower")).returncode == 0


@pytest.mark.parametrize("broken", ["missing", "corrupt"])
def test_cli_bad_folders_exit_2(copies, broken):
    if broken == "corrupt":
        (copies / "slower" / "summary.json").write_text('{"cells": 3}')
    target = copies / ("nope" if broken == "missing" else "slower")
    done = cli(str(copies / "base"), str(target))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("error: ")
