"""The summary table's columns, one list read by the console and by the Markdown pages, so a
figure in the docs is the figure the terminal showed."""

from collections.abc import Callable
from dataclasses import dataclass

from asyncgap.cell.regroup import by_level, merge_repeats
from asyncgap.core.records import CellResult
from asyncgap.views import blocking
from asyncgap.views.formats import number
from asyncgap.views.verdicts import fast_p95


@dataclass(frozen=True)
class Column:
    """A heading, how a cell fills it, and whether it is a number (aligned right)."""

    name: str
    value: Callable[[CellResult], str]
    numeric: bool = False


def counted_connections(cell: CellResult) -> str:
    """Its connections per worker as the busiest sample counted them, busiest first: 137/59."""
    return "/".join(map(str, cell.connections_per_worker))


IDENTITY = (
    Column("setup", lambda c: c.setup),
    Column("scenario", lambda c: c.scenario),
    Column("variant", lambda c: c.variant),
)
FAST_P95 = Column("/fast p95 ms", lambda c: number(fast_p95(c)), numeric=True)
FIGURES = (
    Column("users", lambda c: str(c.users), numeric=True),
    Column("rps", lambda c: number(c.rps, 1), numeric=True),
    Column("predicted", lambda c: number(c.predicted_rps, 1), numeric=True),
    Column("meas/pred", lambda c: number(c.measured_over_predicted, 2), numeric=True),
    Column("bound", lambda c: c.model.bound if c.model else "-"),
    Column("p50 ms", lambda c: number(c.p50_ms), numeric=True),
    Column("p95 ms", lambda c: number(c.p95_ms), numeric=True),
    FAST_P95,
    Column("failures", lambda c: number(c.failures), numeric=True),
    Column("loop blocked by", blocking.short),
)
CONSOLE = IDENTITY + FIGURES
# Beyond the console's: what a page may ask for by name (`columns=`).
EXTRA = (
    Column("cpu ms/req", lambda c: number(c.server_cpu_ms_per_request, 2), numeric=True),
    Column("db cpu ms/req", lambda c: number(c.db_cpu_ms_per_request, 2), numeric=True),
    Column("threads busy", lambda c: number(c.threads_busy_mean, 1), numeric=True),
    Column("loop", blocking.loop_words),  # the watchdog's sentences: the loop's share and top site
    Column("threads", lambda c: blocking.thread_words(c) or "-"),
    Column("connections", lambda c: counted_connections(c) or "-"),
    Column("even-split", lambda c: number(c.predicted_rps_even_split, 1), numeric=True),
)
BY_NAME = {column.name: column for column in CONSOLE + EXTRA}


def shown(cells: list[CellResult]) -> list[CellResult]:
    """The rows, as every table lists them: a sweep's levels one by one, repeats merged."""
    return merge_repeats(by_level(cells))


def row(cell: CellResult, columns: tuple[Column, ...]) -> list[str]:
    """A cell's values; a failed cell has its identity and users, then '-'."""
    if cell.ok:
        return [column.value(cell) for column in columns]
    kept = {"setup", "scenario", "variant", "users"}
    return [column.value(cell) if column.name in kept else "-" for column in columns]
