"""Everything the harness shows on the terminal: progress, the summary table, listings, errors."""

import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from asyncgap.cell.plan import Cell
from asyncgap.core.matrix import Matrix
from asyncgap.core.records import CellResult
from asyncgap.core.thresholds import ThresholdResult
from asyncgap.core.variants import DESCRIPTIONS
from asyncgap.views import blocking, columns, threshold_marks
from asyncgap.views.columns import FAST_P95, FIGURES, IDENTITY
from asyncgap.views.formats import number, percent
from asyncgap.views.verdicts import fast_p95

out = Console(width=None if sys.stdout.isatty() else 160)  # logs and CI: no cramped columns
CELL_OVERHEAD_S = 4.0  # start, URL check and stop around each cell's load, for the ETA


def err(message: str) -> None:
    """One plain line on stderr: not rich, which would wrap it to the terminal's width."""
    print(message, file=sys.stderr)


class Progress:
    """A bar over the run's seconds: cell name, cells done, elapsed, time left."""

    def __init__(self, cells: list[Cell]) -> None:
        self._bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[cells]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=out,
            transient=False,
        )
        self._total = len(cells)
        self._done = 0
        seconds = sum(c.duration_s + CELL_OVERHEAD_S for c in cells)
        self._task = self._bar.add_task("starting", total=seconds, cells=f"0/{self._total} cells")

    def __enter__(self) -> "Progress":
        self._bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._bar.__exit__(*exc)

    def start(self, cell: Cell) -> None:
        self._bar.update(self._task, description=cell.key)

    def done(self, cell: Cell, result: CellResult) -> None:
        self._done += 1
        self._bar.advance(self._task, cell.duration_s + CELL_OVERHEAD_S)
        self._bar.update(self._task, cells=f"{self._done}/{self._total} cells")
        if not result.ok:
            self._bar.console.print(f"[red]failed[/] {cell.key}: {result.reason}")


def _note(cell: CellResult) -> str:
    """What a reader must know before trusting the row's numbers."""
    notes = []
    if cell.generator_bound:
        notes.append("[yellow]generator-bound[/]")
    if cell.server_events:
        notes.append("[red]workers killed or replaced[/]")
    if cell.model and cell.model.reason:
        notes.append("[yellow]theory missed[/]")
    return ", ".join(notes)


def summary_table(cells: list[CellResult], run_dir: Path) -> None:
    """The run's table; without a /fast probe in any row (a user's app), no column for it."""
    table = Table(title=f"asyncgap: {run_dir}", title_justify="left")
    shown = columns.shown(cells)
    probed = any(fast_p95(c) is not None for c in shown)
    figures = tuple(column for column in FIGURES if probed or column is not FAST_P95)
    for column in IDENTITY:
        table.add_column(column.name)
    table.add_column("note")
    for column in figures:
        table.add_column(column.name, justify="right" if column.numeric else "left")
    for c in shown:
        values = columns.row(c, IDENTITY + figures)
        note = _note(c) if c.ok else "[red]failed[/]"
        table.add_row(*values[: len(IDENTITY)], note, *values[len(IDENTITY) :])
    out.print(table)
    for line in blocking.called_out([c for c in shown if c.ok]):
        out.print(f"loop blocked: {line}", highlight=False)
    for c in shown:
        if c.ok and c.model and c.model.reason:  # a log or a CI job has no dashboard open
            out.print(
                f"theory missed: {c.setup} {c.scenario} {c.variant} {c.users} users: {c.model.reason}",
                highlight=False,
            )
    out.print(f"dashboard: {run_dir / 'report.html'}")


def threshold_table(results: list[ThresholdResult]) -> None:
    """Each threshold on each cell, passed or failed, and why a failed one failed."""
    if not results:
        return
    table = Table(title="thresholds", title_justify="left")
    for column in ("cell", "users", "threshold", "value", "result", "why"):
        table.add_column(column, justify="right" if column in ("users", "value") else "left")
    for r in results:
        result = "[green]passed[/]" if r.passed else "[red]FAILED[/]"
        table.add_row(
            escape(r.cell),
            str(r.users or "-"),
            escape(r.expr),
            threshold_marks.value(r),
            result,
            escape(r.note),
        )
    out.print(table)
    failed = sum(not r.passed for r in results)
    out.print(f"thresholds: {len(results) - failed} passed, {failed} failed", highlight=False)


def describe(matrix: Matrix) -> None:
    """`asyncgap list`: what can be chosen, each with its one-line description."""
    for title, entries in (
        ("setups", {n: s.description for n, s in matrix.setups.items()}),
        ("scenarios", {n: s.description for n, s in matrix.scenarios.items()}),
        ("variants", DESCRIPTIONS),
        ("profiles", {n: p.description for n, p in matrix.profiles.items()}),
    ):
        table = Table(title=title, title_justify="left", show_header=False)
        for name, text in entries.items():
            table.add_row(name, text)
        out.print(table)


def _interval(row: dict, prefix: str = "") -> str:
    low, high = row.get(f"{prefix}ci_low"), row.get(f"{prefix}ci_high")
    return "-" if low is None else f"{percent(low)} to {percent(high)}"


def compare_table(rows: list[dict]) -> None:
    table = Table(title="asyncgap compare: B against A", title_justify="left")
    for column in ("setup", "scenario", "variant"):
        table.add_column(column)
    for column in ("users", "rps A", "rps B", "change", "95% interval", "verdict", "p50"):
        table.add_column(column, justify="right")
    for column in ("p95", "p95 95% interval", "p95 verdict", "samples"):
        table.add_column(column, justify="right")
    colors = {"faster": "green", "lower": "green", "slower": "red", "higher": "red"}
    for r in rows:
        verdicts = [r["verdict"], r.get("p95_verdict", "-")]
        rps_verdict, p95_verdict = (f"[{colors.get(v, 'white')}]{v}[/]" for v in verdicts)
        table.add_row(
            r["setup"],
            r["scenario"],
            r["variant"],
            str(r["users"]),
            number(r.get("rps_a"), 1),
            number(r.get("rps_b"), 1),
            percent(r.get("rps_change")),
            _interval(r),
            rps_verdict,
            percent(r.get("p50_change")),
            percent(r.get("p95_change")),
            _interval(r, "p95_"),
            p95_verdict,
            r.get("basis", "-"),
        )
    out.print(table)
