"""What a run needs recorded to be compared later: versions, machine, argv, resolved matrix."""

import os
import platform
import subprocess
import sys
from dataclasses import asdict
from datetime import datetime
from importlib.metadata import version

from core.matrix import ROOT, Matrix
from loadtest.plan import Cell

GIT_TIMEOUT_S = 10.0
PACKAGES = ("fastapi", "starlette", "anyio", "uvicorn", "uvloop", "httptools", "gunicorn",
            "uvicorn-worker", "locust", "httpx", "databases", "aiosqlite")  # fmt: skip


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=GIT_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def collect(matrix: Matrix, profile: str, cells: list[Cell], started: datetime) -> dict:
    return {
        "started_utc": started.isoformat(),
        "argv": sys.argv,
        "profile": profile,
        "git_commit": _git_commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": sorted(os.sched_getaffinity(0)),
        "versions": {name: version(name) for name in PACKAGES},
        "cells": [asdict(cell) for cell in cells],
        "matrix": matrix.model_dump(mode="json"),
    }
