"""Everything the harness shows on the terminal: progress, the summary table, listings, errors."""

import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from core.matrix import Matrix
from core.variants import DESCRIPTIONS
from loadtest import blocking_view
from loadtest.plan import Cell
from loadtest.records import CellResult
from loadtest.report import fast_p95, number, percent
from loadtest.results import by_level, merge_repeats

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
        notes.append("[yellow]theory missed: see the dashboard[/]")
    return ", ".join(notes)


def summary_table(cells: list[CellResult], run_dir: Path) -> None:
    table = Table(title=f"asyncgap: {run_dir}", title_justify="left")
    for column in ("setup", "scenario", "variant", "note"):
        table.add_column(column)
    for column in ("users", "rps", "predicted", "meas/pred"):
        table.add_column(column, justify="right")
    table.add_column("bound")
    for column in ("p50 ms", "p95 ms", "/fast p95 ms", "failures"):
        table.add_column(column, justify="right")
    table.add_column("loop blocked by")
    shown = merge_repeats(by_level(cells))
    for c in shown:
        if not c.ok:
            table.add_row(c.setup, c.scenario, c.variant, "[red]failed[/]", str(c.users), *["-"] * 9)
            continue
        table.add_row(
            c.setup,
            c.scenario,
            c.variant,
            _note(c),
            str(c.users),
            number(c.rps, 1),
            number(c.predicted_rps, 1),
            number(c.measured_over_predicted, 2),
            c.model.bound if c.model else "-",
            number(c.p50_ms),
            number(c.p95_ms),
            number(fast_p95(c)),
            number(c.failures),
            blocking_view.short(c),
        )
    out.print(table)
    for line in blocking_view.called_out([c for c in shown if c.ok]):
        out.print(f"loop blocked: {line}", highlight=False)
    out.print(f"dashboard: {run_dir / 'report.html'}")


def describe(matrix: Matrix) -> None:
    """`loadtest list`: what can be chosen, each with its one-line description."""
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


def compare_table(rows: list[dict]) -> None:
    table = Table(title="asyncgap compare: B against A", title_justify="left")
    for column in ("setup", "scenario", "variant"):
        table.add_column(column)
    for column in ("users", "rps A", "rps B", "change", "95% interval", "p50", "p95", "samples", "verdict"):
        table.add_column(column, justify="right")
    colors = {"faster": "green", "slower": "red"}
    for r in rows:
        interval = f"{percent(r['ci_low'])} to {percent(r['ci_high'])}" if "ci_low" in r else "-"
        color = colors.get(r["verdict"], "white")
        table.add_row(
            r["setup"], r["scenario"], r["variant"], str(r["users"]), number(r.get("rps_a"), 1),
            number(r.get("rps_b"), 1),
            percent(r.get("rps_change")), interval, percent(r.get("p50_change")),
            percent(r.get("p95_change")), r.get("basis", "-"), f"[{color}]{r['verdict']}[/]",
        )  # fmt: skip
    out.print(table)
