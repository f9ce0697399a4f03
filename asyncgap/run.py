"""One run of the matrix: the upstream and the run's PostgreSQL once, then each cell down its path
(asyncgap/cell/drive.py) on a fresh server. Results are written as they come, so an interrupted
run keeps its cells. A user's own app (`app`) needs no upstream, and brings its own database if
it has one."""

from contextlib import ExitStack
from pathlib import Path
from typing import Protocol

from asyncgap.cell.app_cell import AppRun
from asyncgap.cell.context import Cores, RunContext
from asyncgap.cell.drive import run_cell
from asyncgap.cell.plan import Cell
from asyncgap.core.matrix import Matrix
from asyncgap.core.records import CellResult, RunSummary
from asyncgap.engines import lifeline, pace, postgres
from asyncgap.engines.local import Engine, LocalEngine


class CellProgress(Protocol):
    """Told as each cell starts and ends (the console's progress bar)."""

    def start(self, cell: Cell) -> None: ...

    def done(self, cell: Cell, result: CellResult) -> None: ...


def run(
    cells: list[Cell],
    matrix: Matrix,
    out_dir: Path,
    *,
    progress: CellProgress | None = None,
    engine: Engine | None = None,
    app: AppRun | None = None,
) -> list[CellResult]:
    """Run every cell in order; summary.json is rewritten after each so nothing done is lost."""
    engine = engine or LocalEngine()
    cores = Cores.split(engine.generator_workers)
    done: list[CellResult] = []
    with lifeline.scratch("asyncgap-run-") as scratch, ExitStack() as stack:
        upstream_url, database = "", app and app.database
        pace_log = stack.enter_context(pace.timing(scratch / "pace.log", cores.server))
        if app is None:
            upstream_url = stack.enter_context(engine.upstream(matrix, out_dir, scratch, cores.generator))
            scenarios = [matrix.scenarios[c.scenario] for c in cells]
            database = stack.enter_context(postgres.for_run(scenarios, scratch, cores.server))
        context = RunContext(matrix, out_dir, scratch, upstream_url, cores, engine, database, app, pace_log)
        for cell in cells:
            if progress:
                progress.start(cell)
            result = run_cell(cell, context)
            done.append(result)
            RunSummary(complete=False, cells=done, app=app and app.findings).save(out_dir)
            if progress:
                progress.done(cell, result)
    return done
