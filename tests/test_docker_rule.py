"""tests/conftest.py's rule: without a Docker engine the docker-marked tests are skipped with the
engine's reason, unless CI is set, where they must run. Checked on pytest itself, with a `docker`
command that cannot reach its daemon."""

import os
import subprocess
import sys
from pathlib import Path

from tests.paths import ROOT

NO_DAEMON = (
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
)


def docker_tests(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """pytest on the docker-marked unit tests, with a `docker` that answers like one with no daemon."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(f"#!/bin/sh\necho '{NO_DAEMON}' >&2\nexit 1\n")
    docker.chmod(0o755)
    environ = {k: v for k, v in os.environ.items() if k != "CI"}
    environ |= {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **env}
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-m", "docker", "-rs", "tests/engines"]
    return subprocess.run(argv, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=240)


def test_without_an_engine_docker_tests_are_skipped_with_the_reason(tmp_path):
    done = docker_tests(tmp_path)
    assert done.returncode == 0, done.stdout[-2000:]
    assert f"no Docker engine: {NO_DAEMON}" in done.stdout
    assert " skipped" in done.stdout.splitlines()[-1]
    assert "passed" not in done.stdout.splitlines()[-1]


def test_under_ci_docker_tests_run_even_without_an_engine(tmp_path):
    done = docker_tests(tmp_path, CI="true")
    assert "skipped" not in done.stdout.splitlines()[-1], done.stdout[-2000:]
    assert done.returncode == 1  # they ran, and could not pass without an engine
