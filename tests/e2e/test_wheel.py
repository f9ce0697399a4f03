"""The wheel as a user gets it: built from this checkout, installed into a fresh venv (its
dependencies from the package index, held to the lock's versions), and used from outside the
repository: the console script, the watchdog in an app of its own, and no generic top-level
name installed. An interpreter older than 3.11 is refused by pip itself."""

import json
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.paths import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

INSTALL_TIMEOUT_S = 600
NOT_INSTALLED = ("core", "service", "locustfiles", "loadtest")
APP = """
import asyncio, os, time
from pathlib import Path
from asyncgap.watch import watching

async def main():
    path = Path(os.environ["ASYNCGAP_METRICS_DIR"]) / f"asyncgap-watch-{os.getpid()}.json"
    async with watching():  # its file lives as long as the block: read it inside
        time.sleep(0.3)  # blocks the loop: the watchdog must name this call
        for _ in range(100):  # rewritten within a second of a change
            await asyncio.sleep(0.1)
            if path.exists() and "time.sleep" in path.read_text():
                break
        print(path.read_text())
    print(path.exists())

asyncio.run(main())
"""


def outside_env(**more: str) -> dict[str, str]:
    """This environment without anything that points back into the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ASYNCGAP_MATRIX", "VIRTUAL_ENV")}
    return {**env, **more}


def run(argv: list, cwd: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=outside_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    argv = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", out, ROOT]
    done = run(argv, cwd=out, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (built,) = out.glob("asyncgap-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel and its dependencies, at the lock's versions; its bin folder."""
    folder = tmp_path_factory.mktemp("venv") / "venv"
    venv.create(folder, with_pip=True)
    pip = [folder / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    done = run([*pip, "-c", ROOT / "requirements.txt", wheel], cwd=folder, timeout=INSTALL_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-2000:]
    return folder / "bin"


def test_the_wheel_holds_asyncgap_only(wheel):
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"asyncgap"}


def test_the_console_script_works_and_lists_a_matrix(installed, tmp_path):
    helped = run([installed / "asyncgap", "--help"], cwd=tmp_path)
    assert helped.returncode == 0, helped.stderr
    assert all(verb in helped.stdout for verb in ("run", "list", "report", "compare", "ui", "bench"))
    listed = run([installed / "asyncgap", "list", "--matrix", ROOT / "matrix.toml"], cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "uvicorn-1w" in listed.stdout and "async-blocking" in listed.stdout


def test_without_a_matrix_it_says_to_pass_one_in_one_line(installed, tmp_path):
    done = run([installed / "asyncgap", "list"], cwd=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "--matrix" in done.stderr and "Traceback" not in done.stderr


def test_an_app_outside_the_repository_writes_its_watch_file(installed, tmp_path):
    (tmp_path / "app.py").write_text(APP)
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    done = run([installed / "python", "app.py"], cwd=tmp_path, ASYNCGAP_METRICS_DIR=str(metrics))
    assert done.returncode == 0, done.stderr
    written, exists_after = done.stdout.strip().rsplit("\n", 1)
    watch = json.loads(written)
    sites = watch["loop"].get("time.sleep", {})
    assert any(site.startswith("app.py:") for site in sites), watch["loop"]
    assert exists_after == "False"  # a process that stopped watching leaves no file behind


def test_no_generic_top_level_name_is_importable(installed, tmp_path):
    names = ", ".join(repr(n) for n in NOT_INSTALLED)
    probe = f"import importlib.util; print([n for n in ({names}) if importlib.util.find_spec(n)])"
    done = run([installed / "python", "-c", probe], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert run([installed / "python", "-c", "import asyncgap.cell"], cwd=tmp_path).returncode == 0


def older_python() -> Path | None:
    """An interpreter older than 3.11 with venv, if this machine has one (pyenv's, say)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(pyenv.glob("3.*/bin/python3"), reverse=True)
    found += [Path(p) for v in ("3.10", "3.9", "3.8") if (p := shutil.which(f"python{v}"))]
    for python in found:
        done = subprocess.run(
            [python, "-c", "import sys, venv; print(sys.version_info[:2])"], capture_output=True
        )
        if done.returncode == 0 and re.fullmatch(rb"\(3, ([0-9]|10)\)\n", done.stdout):
            return python
    return None


def test_an_older_python_is_refused_by_pip(wheel, tmp_path):
    python = older_python()
    if python is None:
        pytest.skip("no Python older than 3.11 on this machine")
    made = run([python, "-m", "venv", tmp_path / "old"], cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    pip = [tmp_path / "old" / "bin" / "python", "-m", "pip", "install", "--no-index", "--no-deps", wheel]
    done = run(pip, cwd=tmp_path)
    assert done.returncode != 0
    assert "requires a different Python" in done.stderr, done.stderr
