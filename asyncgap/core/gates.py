"""Thresholds judged: which cells each applies to, refused before the load when a cell cannot
have its figure, then evaluated on the recorded cells.

Every threshold is evaluated on every cell it applies to (a sweep's level threshold: on the
sweeps that hold that level). A cell that failed, or that did not measure the figure, gets a
result that is "not evaluated" and counts as failed: a gate that cannot look must not pass.
"""

from collections.abc import Callable, Iterable
from typing import Protocol

from pydantic import BaseModel

from asyncgap.core.records import BlockingSite, CellResult, EndpointFigures, Level
from asyncgap.core.thresholds import EXACT, FIELDS, Threshold, ThresholdError, ThresholdResult

Record = CellResult | EndpointFigures | Level


class PlannedCell(Protocol):
    """What the check before the load needs of a planned cell (asyncgap.cell.plan.Cell has it)."""

    setup: str
    scenario: str
    variant: str
    users: int
    levels: tuple[int, ...]


def applies(threshold: Threshold, setup: str, scenario: str, variant: str, levels: Iterable[int]) -> bool:
    """Whether a cell is in the threshold's scope (and, for a level threshold, is a sweep holding it)."""
    in_scope = threshold.scope.covers(setup, scenario, variant)
    return in_scope and (threshold.level is None or threshold.level in levels)


def check_figures(
    thresholds: list[Threshold], cells: list[PlannedCell], on_postgres: Callable[[str], bool]
) -> None:
    """Refuse, before any load, a threshold naming a database server's figure on a cell in its
    scope that has no database server. ThresholdError, one line."""
    for threshold in thresholds:
        if not FIELDS[threshold.field].needs_postgres:
            continue
        for cell in cells:
            if threshold.scope.covers(cell.setup, cell.scenario, cell.variant) and not on_postgres(
                cell.scenario
            ):
                raise ThresholdError(
                    f"threshold {threshold.expr!r}: {threshold.field} is a PostgreSQL figure and "
                    f"cell {cell.setup} {cell.scenario} {cell.variant} has no database server "
                    "(scope it with [thresholds.scenarios.NAME] in matrix.toml)"
                )


def check_levels(thresholds: list[Threshold], cells: list[PlannedCell]) -> None:
    """Refuse, before any load, a level threshold that no swept cell of the run holds: given on
    the command line, it would judge nothing (the matrix's apply to the runs that sweep)."""
    held = sorted({users for cell in cells for users in cell.levels})
    for threshold in thresholds:
        if threshold.level is not None and threshold.level not in held:
            raise ThresholdError(
                f"threshold {threshold.expr!r}: no swept cell holds {threshold.level} users "
                f"(levels of this run: {', '.join(map(str, held)) or 'none, it sweeps nothing'})"
            )


def read(record: BaseModel, field: str) -> float | None:
    """A field's value on a record: the exact percentile where there is one, `fail_ratio` derived."""
    if field == "fail_ratio":
        requests, failures = getattr(record, "requests", None), getattr(record, "failures", None)
        return failures / requests if requests and failures is not None else None
    if field in EXACT:
        exact = getattr(record, f"{field}_exact", None)
        if exact is not None:
            return exact
    return getattr(record, FIELDS[field].attribute or field, None)


def _record(threshold: Threshold, cell: CellResult) -> tuple[Record | None, str]:
    """The record a threshold reads on a cell (the cell, one endpoint, one level), or why none."""
    if threshold.level is not None:
        level = next((lv for lv in cell.levels if lv.users == threshold.level), None)
        return level, "" if level else f"the cell has no level of {threshold.level} users"
    if threshold.endpoint:
        name = threshold.endpoint_for(cell.variant)
        found = cell.endpoint(name)
        return (
            found,
            "" if found else f"the cell has no endpoint {name} (it has: {', '.join(cell.endpoints)})",
        )
    return cell, ""


def _failure_note(threshold: Threshold, cell: CellResult, value: float) -> str:
    """Why a threshold failed, in figures. A blocked loop also names its top call site and, when no
    application frame was on that one (the loop's own code, a busy core), the top one that had."""
    note = f"{threshold.field} {value:.4g} is not {threshold.op} {threshold.value:g}"
    if threshold.field == "loop_blocked_share" and cell.blocking:
        top = cell.blocking[0]
        note += f"; most of it in {_where(top)}"
        if not top.in_application and (mine := next((s for s in cell.blocking if s.in_application), None)):
            note += f"; in the application: {_where(mine)}"
    return note


def _where(site: BlockingSite) -> str:
    return f"{site.callee} called from {site.site} ({site.share:.0%})"


def judge(threshold: Threshold, cell: CellResult) -> ThresholdResult:
    """One threshold on one cell it applies to."""
    users = threshold.level if threshold.level is not None else cell.users
    verdict = {"expr": threshold.expr, "cell": cell.folder, "users": users}
    if not cell.ok:
        return ThresholdResult(
            **verdict, value=None, passed=False, note=f"not evaluated: the cell failed ({cell.reason})"
        )
    record, missing = _record(threshold, cell)
    if record is None:
        return ThresholdResult(**verdict, value=None, passed=False, note=f"not evaluated: {missing}")
    value = read(record, threshold.field)
    if value is None:
        why = (
            cell.blocking_missing if threshold.field == "loop_blocked_share" and cell.blocking_missing else ""
        )
        note = f"not evaluated: {threshold.field} was not measured" + (f" ({why})" if why else "")
        return ThresholdResult(**verdict, value=None, passed=False, note=note)
    passed = threshold.holds(value)
    note = "" if passed else _failure_note(threshold, cell, value)
    return ThresholdResult(**verdict, value=value, passed=passed, note=note)


def evaluate(thresholds: list[Threshold], cells: list[CellResult]) -> list[ThresholdResult]:
    """Every threshold on every cell it applies to, cell by cell in the run's order; an expression
    that applies to a cell twice (on the command line, and in a scope of the matrix) is judged once."""
    results = []
    for cell in cells:
        levels = [lv.users for lv in cell.levels]
        chosen = {
            t.expr: t for t in thresholds if applies(t, cell.setup, cell.scenario, cell.variant, levels)
        }
        results += [judge(threshold, cell) for threshold in chosen.values()]
    return results
