"""`asyncgap run --engine compose` for real: a tiny matrix (one setup, three variants, a few
seconds each) in containers writes the same results as the local engine, shows the gap, and
leaves no container behind, even when the harness is SIGKILLed mid-run.

The base image comes from tests/e2e/test_compose.py's helper (built once per machine, cached);
the asyncgap image is built by the harness itself, cached by Docker between runs and tests.
"""

import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from asyncgap.core.records import load_summary
from tests.cli import ASYNCGAP, asyncgap
from tests.e2e.test_compose import base_image
from tests.paths import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.docker]

TINY = ["--engine", "compose", "--setups", "uvicorn-1w", "--scenarios", "sleep", "--duration", "6"]
CELL_FILES = (
    "calibration.json",
    "prediction.json",
    "samples.json",
    "locust.json",
    "locust.html",
    "server.log",
)


@pytest.fixture(scope="module")
def env():
    return {**os.environ, "BASE_IMAGE": base_image()}


def project_containers(project: str) -> list[str]:
    argv = ["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60).stdout.split()


@contextmanager
def loading(argv: list[str], out, env) -> Iterator[tuple[subprocess.Popen, str]]:
    """The harness, started and waited on until its async cell's load has begun; killed on the way out."""
    harness = subprocess.Popen(
        [*argv, "--out", str(out)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 180
        while not (out / "uvicorn-1w__sleep__async" / "locust.log").exists():
            assert harness.poll() is None and time.monotonic() < deadline, "the run ended before its load"
            time.sleep(0.5)
        yield harness, json.loads((out / "meta.json").read_text())["compose_project"]
    finally:
        if harness.poll() is None:
            harness.kill()


@pytest.mark.timeout(900)
def test_a_compose_run_writes_the_results_contract_and_shows_the_gap(tmp_path, env):
    out = tmp_path / "run"
    started = time.monotonic()
    done = asyncgap("run", *TINY, "--out", str(out), env=env, timeout=840)
    wall = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    meta = json.loads((out / "meta.json").read_text())
    assert meta["engine"] == "compose" and meta["generator_workers"] == 1
    assert (out / "report.html").stat().st_size > 0
    cells = {c.variant: c for c in load_summary(out).cells}
    assert set(cells) == {"sync", "async", "async-blocking"}
    for cell in cells.values():
        assert cell.ok, cell.reason
        assert cell.failures == 0 and cell.predicted_rps
        assert cell.generator_cores_busy > 0 and cell.server_cores_busy > 0  # read from outside
        for name in CELL_FILES:
            assert (out / cell.folder / name).stat().st_size > 0, name
    assert cells["async"].rps > cells["sync"].rps > 5 * cells["async-blocking"].rps
    assert cells["async-blocking"].loop_lag_max_ms > 50  # the workers' gauges, through the shared folder
    assert project_containers(meta["compose_project"]) == []
    print(f"compose tiny run: {wall:.0f} s; rps " + ", ".join(f"{v} {c.rps:.1f}" for v, c in cells.items()))


@pytest.mark.timeout(300)
def test_a_killed_harness_takes_its_stack_down(tmp_path, env):
    out = tmp_path / "run"
    argv = [*ASYNCGAP, "run", *TINY, "--variants", "async", "--duration", "30"]
    with loading(argv, out, env) as (harness, project):
        assert project_containers(project)
        harness.kill()
        harness.wait()
        deadline = time.monotonic() + 60
        while project_containers(project) and time.monotonic() < deadline:
            time.sleep(1)
        assert project_containers(project) == [], "the reaper and guard left the stack up"


@pytest.mark.timeout(400)
def test_a_container_that_dies_mid_cell_fails_that_cell_with_its_log_and_the_run_goes_on(tmp_path, env):
    out = tmp_path / "run"
    argv = [*ASYNCGAP, "run", *TINY, "--variants", "async,sync", "--duration", "8"]
    with loading(argv, out, env) as (harness, project):
        setup = [
            "docker",
            "ps",
            "-q",
            "--filter",
            f"label=com.docker.compose.project={project}",
            "--filter",
            "label=com.docker.compose.service=uvicorn-1w",
        ]
        container = subprocess.run(setup, capture_output=True, text=True, timeout=60).stdout.split()
        subprocess.run(["docker", "kill", *container], capture_output=True, timeout=60, check=True)
        harness.wait(timeout=300)
    assert harness.returncode == 1  # a failed cell
    killed, after = load_summary(out).cells
    assert not killed.ok and "the server exited with 137 during the load" in killed.reason
    assert "Application startup complete" in (out / killed.error_file).read_text()  # the container's log tail
    assert after.ok and after.rps > 0
    assert project_containers(project) == []
