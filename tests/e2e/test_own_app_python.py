"""`asyncgap run --app ... --python PATH`: the app served and walked by its own interpreter, pinned
to versions other than asyncgap's lock (FastAPI 0.110, its Starlette, uvicorn 0.29), with only
asyncgap's app-side rooms put on its path. The venv is made from the package index."""

import json
import os
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

from asyncgap.core.records import load_summary
from tests.cli import asyncgap
from tests.paths import ROOT

pytestmark = pytest.mark.e2e

PINS = ["fastapi==0.110.*", "uvicorn==0.29.*"]


@pytest.fixture(scope="module")
def old_app(tmp_path_factory) -> tuple[Path, Path]:
    """A folder holding the fixture app outside the repository, and a venv pinned to PINS."""
    work = tmp_path_factory.mktemp("pinned")
    venv.create(work / "venv", with_pip=True)
    python = work / "venv" / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PINS],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"pip could not install {PINS}: {done.stderr[-500:]}")
    app_dir = work / "app"
    app_dir.mkdir()
    shutil.copy(ROOT / "tests" / "apps" / "capped.py", app_dir / "capped.py")
    return python, app_dir


def run_pinned(tmp_path: Path, python: Path, app_dir: Path, *args: str) -> subprocess.CompletedProcess:
    app = ["--app", "capped:app", "--app-dir", str(app_dir), "--python", str(python)]
    health = ["--env", "FIXTURE_SECRET=x", "--health", "/health"]
    return asyncgap(
        "run",
        *app,
        *health,
        *args,
        "--out",
        str(tmp_path / "run"),
        cwd=tmp_path,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k not in ("ASYNCGAP_MATRIX", "PYTHONPATH")},
    )


def test_the_apps_own_fastapi_serves_it_and_its_routes_are_walked_there(tmp_path, old_app):
    python, app_dir = old_app
    done = run_pinned(
        tmp_path, python, app_dir, "--setups", "uvicorn-1w", "--users", "1,5", "--duration", "2"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = load_summary(tmp_path / "run")
    assert summary.app.versions["fastapi"].startswith("0.110.")
    assert summary.app.versions["uvicorn"].startswith("0.29.")
    pooled = summary.app.routes["/pooled"]
    assert (pooled.runs, pooled.hops, pooled.teardown_threads) == ("threads", 4, 1)
    (cell,) = summary.cells
    assert cell.ok and [level.users for level in cell.levels] == [1, 5]
    samples = json.loads((tmp_path / "run" / cell.folder / "samples.json").read_text())
    assert any(sample["watch"] for sample in samples)  # the watchdog ran inside the pinned app


def test_a_setup_whose_server_the_apps_interpreter_lacks_is_refused(tmp_path, old_app):
    python, app_dir = old_app
    done = run_pinned(tmp_path, python, app_dir, "--setups", "gunicorn-2w")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: the app's interpreter has no gunicorn, uvicorn-worker: "
        "install it there, or pick other --setups"
    )
