"""One real, tiny run of the harness, shared by the end-to-end and browser tests."""

import subprocess
from pathlib import Path

import pytest

from tests.cli import asyncgap

TINY = ["--setups", "uvicorn-1w,uvicorn-2w", "--scenarios", "sleep", "--duration", "4"]


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """`python -m asyncgap run` on 2 setups x 3 variants, 4 s a cell."""
    out = tmp_path_factory.mktemp("results") / "run"
    done = asyncgap("run", *TINY, "--out", str(out), timeout=240)
    return done, out
