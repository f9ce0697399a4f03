"""Section 4, time to result: the quick profile's wall time, split into its phases."""

import sys
import time

from asyncgap.bench.lab import Lab
from asyncgap.core.records import SUMMARY_NAME, load_summary
from asyncgap.engines import children

NEEDS_UPSTREAM = False
QUICK_RUN_TIMEOUT_S = 300.0  # the quick profile's goal is 90 s


def quick_run(lab: Lab, folder: str, *options: str) -> dict:
    """`asyncgap run --quick` as a user runs it, into `folder`, timed from outside: its exit and wall."""
    argv = [sys.executable, "-m", "asyncgap", "run", "--quick", *options, "--out", str(lab.out / folder)]
    started = time.monotonic()
    try:
        code = children.run(argv, log_path=lab.out / "logs" / f"{folder}.log", timeout=QUICK_RUN_TIMEOUT_S)
    except children.Overrun as exc:
        code = f"killed ({exc})"
    return {"exit": code, "wall_s": round(time.monotonic() - started, 1)}


def measure(lab: Lab) -> dict:
    """The quick run's wall time, and its cells' phases summed."""
    run = quick_run(lab, "quick-run")
    out = lab.out / "quick-run"
    cells = load_summary(out).cells if (out / SUMMARY_NAME).exists() else []
    phases: dict[str, float] = {}
    for cell in cells:
        for phase, seconds in cell.timings.items():
            phases[phase] = round(phases.get(phase, 0.0) + seconds, 1)
    return {
        **run,
        "cells": len(cells),
        "phases_s": phases,
        "rest_s": round(run["wall_s"] - sum(phases.values()), 1),
    }


def markdown(ttr: dict) -> str:
    return (
        "## 4. Time to result (goal: quick profile <= 90 s)\n\n"
        f"`asyncgap run --quick`: exit {ttr['exit']}, **{ttr['wall_s']} s** wall for {ttr['cells']} cells; "
        f"phases summed over cells: {ttr['phases_s']}; the rest (Python and Locust start-up, upstream, "
        f"report): {ttr['rest_s']} s."
    )
