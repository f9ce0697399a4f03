"""Locust's distributed mode in the local engine: a master and two workers measure the same
server as one Locust process, and every generator process counts in the generator's CPU."""

import json
import subprocess

import pytest

from asyncgap.core.records import load_summary
from tests.cli import asyncgap

pytestmark = pytest.mark.e2e

CELL = ["--setups", "uvicorn-1w", "--scenarios", "sleep", "--variants", "async", "--duration", "6"]


def run(out, *extra: str) -> subprocess.CompletedProcess:
    return asyncgap("run", *CELL, *extra, "--out", str(out), timeout=180)


def test_two_generator_workers_agree_with_one_process_on_a_sleep_cell(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    for out, extra in ((one, ()), (two, ("--generator-workers", "2"))):
        done = run(out, *extra)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    single, distributed = (load_summary(out).cells[0] for out in (one, two))
    assert distributed.ok and single.ok
    assert abs(distributed.rps / single.rps - 1) <= 0.15, (single.rps, distributed.rps)
    assert distributed.failures == 0

    cell = two / distributed.folder
    assert (cell / "locust-worker-1.log").exists() and (cell / "locust-worker-2.log").exists()
    assert json.loads((two / "meta.json").read_text())["generator_workers"] == 2
    # the master spreads the users and reports their requests; the workers burn the CPU, and it counts
    assert distributed.generator_cores_busy > 0.5 * single.generator_cores_busy > 0
