"""CI gates around `asyncgap run` and `asyncgap compare`: --threshold, --junit and the exit codes.

Whatever can be refused is refused before the load, in one line with exit status 2: a
malformed threshold or an unknown field (as the flag is read), a figure a planned cell cannot
have, a level no swept cell holds, a --junit path that cannot be written. After the run each
threshold is judged on each cell it applies to (asyncgap/core/gates.py); the results go to
summary.json, the console's table, the dashboard and the JUnit file, and a failed one makes
the run exit 99, as k6 does.
"""

import argparse
from pathlib import Path

from asyncgap.core import gates, thresholds
from asyncgap.core.matrix import Matrix
from asyncgap.core.records import CellResult
from asyncgap.core.thresholds import Threshold, ThresholdResult
from asyncgap.views import console, junit

EXIT_THRESHOLD = 99
EXIT_CODES = (
    "exit status: 0 every cell ran and every threshold passed; 1 a cell failed, or --check found a "
    "gap missing; 2 bad input, refused before any load; 99 a threshold failed; 129, 130, 143 "
    "interrupted by SIGHUP, SIGINT (Ctrl-C) or SIGTERM, the finished cells kept. A failed cell "
    "outranks a failed threshold (its thresholds are 'not evaluated')."
)
THRESHOLD_HELP = (
    f"a gate, repeatable: {thresholds.SYNTAX}, e.g. p95_ms<200, fail_ratio<0.01, "
    "loop_blocked_share<0.05, /fast:p95_ms<50, @users=100:rps>400 (a sweep's level); "
    "matrix.toml's [thresholds] add theirs"
)


def _threshold(text: str) -> Threshold:
    try:
        return thresholds.parse(text)
    except thresholds.ThresholdError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _path(text: str) -> Path:
    return Path(text).absolute()


def add_junit_flag(verb: argparse.ArgumentParser, what: str) -> None:
    verb.add_argument("--junit", type=_path, metavar="FILE", help=f"write {what} as JUnit XML to FILE")


def add_run_flags(verb: argparse.ArgumentParser) -> None:
    verb.add_argument(
        "--threshold", type=_threshold, action="append", default=[], metavar="EXPR", help=THRESHOLD_HELP
    )
    add_junit_flag(verb, "a test case per cell and per threshold judged on it")


def before_load(args: argparse.Namespace, matrix: Matrix, cells: list) -> list[Threshold]:
    """The run's thresholds (the command line's and the matrix's), each checked against the
    planned cells, and the --junit path checked; ThresholdError or JUnitError, one line."""
    given: list[Threshold] = args.threshold
    every = [*given, *matrix.thresholds.thresholds()]
    gates.check_figures(every, cells, lambda name: _on_postgres(args, matrix, name))
    gates.check_levels(given, cells)
    if args.junit is not None:
        junit.check_writable(args.junit)
    return every


def _on_postgres(args: argparse.Namespace, matrix: Matrix, scenario: str) -> bool:
    """Whether a scenario's cells measure a PostgreSQL server: the demo's by the matrix, a user's
    app's when it runs with --postgres."""
    if scenario in matrix.scenarios:
        return matrix.scenarios[scenario].database == "postgres"
    return bool(getattr(args, "postgres", False))


def after_run(args: argparse.Namespace, cells: list[CellResult], results: list[ThresholdResult]) -> int:
    """Show and write the verdicts; EXIT_THRESHOLD if any threshold failed, else 0."""
    console.threshold_table(results)
    if args.junit is not None:
        suites = {"cells": junit.cell_cases(cells), "thresholds": junit.threshold_cases(results)}
        console.out.print(f"JUnit XML: {junit.write(args.junit, suites)}", highlight=False)
    return EXIT_THRESHOLD if any(not r.passed for r in results) else 0


def after_compare(args: argparse.Namespace, rows: list[dict]) -> None:
    if args.junit is not None:
        junit.write(args.junit, {"compare": junit.compare_cases(rows, args.fail_on_regression)})
