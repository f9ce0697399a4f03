"""One way for tests to run the installed CLI as a user would: `python -m asyncgap`, in a process
of its own, rather than each test building that command line and its subprocess options by hand."""

import os
import subprocess
import sys
from pathlib import Path

from tests.paths import ROOT

ASYNCGAP = [sys.executable, "-m", "asyncgap"]
ONE_WORKER_SLEEP = ("--setups", "uvicorn-1w", "--scenarios", "sleep")  # the cells most e2e runs need
"""The command prefix, for tests that start the CLI with subprocess.Popen: interrupts, the web UI,
lifetimes."""


def asyncgap(
    *args: object, cwd: Path | str = ROOT, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """`python -m asyncgap ARGS` run to its end in `cwd`, its output captured as text; `env` None
    inherits this process's environment."""
    return subprocess.run(
        [*ASYNCGAP, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )


def asyncgap_app(work: Path, target: str, *args: object, timeout: float = 300) -> subprocess.CompletedProcess:
    """`asyncgap run --app TARGET ARGS` on a fixture app of this checkout (tests/apps), run in
    `work`: no matrix.toml there and none in the environment, so asyncgap's shipped setups and
    profiles, as a user's app gets them."""
    return asyncgap(
        "run",
        "--app",
        target,
        "--app-dir",
        ROOT,
        *args,
        cwd=work,
        timeout=timeout,
        env={k: v for k, v in os.environ.items() if k != "ASYNCGAP_MATRIX"},
    )
