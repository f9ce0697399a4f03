"""What a run needs recorded to be compared later: versions, machine, argv, resolved matrix."""

import os
import platform
import subprocess
import sys
from dataclasses import asdict
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from asyncgap.cell.plan import Cell
from asyncgap.core.matrix import Matrix

GIT_TIMEOUT_S = 10.0
PACKAGES = (
    "fastapi",
    "starlette",
    "anyio",
    "uvicorn",
    "uvloop",
    "httptools",
    "gunicorn",
    "uvicorn-worker",
    "locust",
    "httpx",
    "databases",
    "aiosqlite",
)


def _git_commit(folder: Path) -> str | None:
    """The commit of the project folder (the matrix's), when it is a git checkout."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=GIT_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:  # the demo's own, absent where asyncgap is installed alone
        return None


def redacted(argv: list[str]) -> list[str]:
    """The command line as recorded: `--env KEY=VALUE` keeps its KEY, never its value."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg.startswith("--env="):
            arg = f"--env={arg.removeprefix('--env=').partition('=')[0]}=..."
        elif i and argv[i - 1] == "--env":
            arg = f"{arg.partition('=')[0]}=..."
        out.append(arg)
    return out


def collect(matrix: Matrix, profile: str | None, cells: list[Cell], started: datetime) -> dict:
    """The run's record beside its figures (a bench has no profile and no cells)."""
    return {
        "started_utc": started.isoformat(),
        "argv": redacted(sys.argv),
        "profile": profile,
        "git_commit": _git_commit(matrix.root),
        "asyncgap": version("asyncgap"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": sorted(os.sched_getaffinity(0)),
        "versions": {name: _version(name) for name in PACKAGES},
        "cells": [asdict(cell) for cell in cells],
        "matrix": matrix.model_dump(mode="json"),
    }
