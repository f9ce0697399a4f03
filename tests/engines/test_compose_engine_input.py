"""`asyncgap run --engine compose` refuses what it cannot run with one line, exit 2, and no
results folder: no Docker engine, and an image that would not build (naming the step)."""

import os
import subprocess
from pathlib import Path

import pytest

from asyncgap.engines import docker
from tests.cli import asyncgap

RUN = ["--engine", "compose", "--setups", "uvicorn-1w", "--scenarios", "sleep", "--variants", "async"]


def loadtest(out: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return asyncgap("run", *RUN, "--out", str(out), env=env, timeout=600)


def fake_docker(folder: Path, script: str) -> dict[str, str]:
    """PATH with a `docker` command that runs `script` first."""
    folder.mkdir()
    docker = folder / "docker"
    docker.write_text(f"#!/bin/sh\n{script}\n")
    docker.chmod(0o755)
    return {**os.environ, "PATH": f"{folder}:{os.environ['PATH']}"}


def test_no_docker_engine_is_one_line_and_no_results_folder(tmp_path):
    refused = "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.' >&2; exit 1"
    out = tmp_path / "run"
    done = loadtest(out, fake_docker(tmp_path / "bin", refused))
    assert done.returncode == 2
    assert "error: no Docker engine: Cannot connect to the Docker daemon" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not out.exists()


def test_a_docker_engine_that_does_not_answer_is_given_up_on(tmp_path, monkeypatch):
    monkeypatch.setattr(docker, "ENGINE_TIMEOUT_S", 1.0)
    monkeypatch.setenv("PATH", fake_docker(tmp_path / "bin", "exec sleep 600")["PATH"])
    assert docker.why_no_engine() == "no Docker engine: it did not answer within 1 s"


@pytest.mark.parametrize(
    ("log", "step"),
    [
        (
            "Step 1/18 : ARG BASE_IMAGE\nStep 2/18 : FROM nope AS build\npull access denied",
            "FROM nope AS build",
        ),
        (
            "#7 [build 2/3] RUN pip install\n#7 ERROR: exit code: 1\nERROR [build 2/3] RUN pip install",
            "[build 2/3] RUN pip install",
        ),
        ("error during connect", "before its first step"),
    ],
)
def test_the_failing_build_step_is_named(log, step):
    assert docker.failed_step(log) == step


@pytest.mark.docker
@pytest.mark.timeout(600)
def test_an_image_that_does_not_build_is_one_line_naming_the_step(tmp_path):
    out = tmp_path / "run"
    done = loadtest(out, {**os.environ, "BASE_IMAGE": "asyncgap-no-such-base:none"})
    assert done.returncode == 2, done.stderr
    assert "error: the image build failed at step: FROM ${BASE_IMAGE} AS build (log: " in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not out.exists()
