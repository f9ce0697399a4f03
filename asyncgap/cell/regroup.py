"""Recorded cells regrouped for reading: repeats merged into one cell, sweeps seen level by level.
What the dashboard, the console, compare and the gap check read."""

import statistics
from pathlib import Path
from typing import TypeVar

from asyncgap.cell import model, stats
from asyncgap.core import interval
from asyncgap.core.prediction import Model
from asyncgap.core.records import (
    Asked,
    CellResult,
    FailureReason,
    Level,
    Outcome,
    Predicted,
    WindowFigures,
    WorkerEvent,
    fields_of,
)

Row = TypeVar("Row", FailureReason, WorkerEvent)


def merge_repeats(cells: list[CellResult]) -> list[CellResult]:
    """One cell per identity: the repeat with the median rps, its rps replaced by the mean.

    Percentiles and the other figures stay those of that one repeat (percentiles do not
    average); rps_repeats keeps the spread. Requests, failures, their reasons and the
    workers' events are totals over every repeat: trouble in any of them must show.
    """
    groups: dict[tuple, list[CellResult]] = {}
    for cell in cells:
        groups.setdefault(cell.identity, []).append(cell)
    merged = []
    for group in groups.values():
        ok = [c for c in group if c.ok]
        merged.append(_merged(ok) if ok else group[0])
    return merged


def _merged(ok: list[CellResult]) -> CellResult:
    middle = sorted(ok, key=lambda c: c.rps)[len(ok) // 2]
    rps = statistics.fmean(c.rps for c in ok)
    predicted = middle.predicted_rps
    return middle.model_copy(
        update={
            "rps": rps,
            "repeats": len(ok),
            "rps_repeats": [c.rps for c in ok],
            "measured_over_predicted": round(rps / predicted, 3) if predicted else None,
            "requests": sum(c.requests for c in ok),
            "failures": sum(c.failures for c in ok),
            "failure_reasons": _summed([r for c in ok for r in c.failure_reasons], ("name", "error")),
            "server_events": _summed([e for c in ok for e in c.server_events], ("event",)),
        }
    )


def _summed(rows: list[Row], key: tuple[str, ...]) -> list[Row]:
    """Counted rows (failure reasons, worker events) of every repeat, added up by `key`: what
    went wrong in any repeat must show in the merged cell, not only in the median one."""
    total: dict[tuple, Row] = {}
    for row in rows:
        group = tuple(getattr(row, k) for k in key)
        seen = total.get(group)
        total[group] = row if seen is None else seen.model_copy(update={"count": seen.count + row.count})
    return sorted(total.values(), key=lambda r: r.count, reverse=True)


def steady_rps_samples(run_dir: Path, cell: CellResult) -> list[float]:
    """Requests/s of each steady second of a cell: the per-second samples compare falls back on.
    A sweep's figures, and so its seconds, are those of its last level (one level, in by_level)."""
    if not cell.levels:
        return [float(n) for n in stats.steady_seconds(run_dir / cell.folder)]
    saved = stats.read_levels(run_dir / cell.folder)[cell.levels[-1].users]
    return [float(n) for n in interval.steady_counts(stats.per_second(saved["entries"]))]


def by_level(cells: list[CellResult]) -> list[CellResult]:
    """Each sweep as one cell per level, single cells as they are: what compare pairs up and the
    tables list. A level's cell has its figures, its model (the cell's at its users and measured
    connection split) and nothing it did not measure (no p99, no per-endpoint figures)."""
    out = []
    for cell in cells:
        out += [_level_cell(cell, level) for level in cell.levels] if cell.levels else [cell]
    return out


def _level_cell(cell: CellResult, level: Level) -> CellResult:
    """One level of a sweep as a cell: the cell's identity and outcome, the level's figures."""
    asked = {
        **fields_of(cell, Asked, Outcome),
        "users": level.users,
        "duration_s": cell.duration_s and cell.duration_s / len(cell.levels),
    }
    return CellResult(
        **asked,
        **fields_of(level, WindowFigures, Predicted),
        model=cell.model and _level_model(cell.model, level),
        levels=[level],
        locust_report=cell.locust_report if level is cell.levels[-1] else None,  # its last level
    )


def _level_model(cell_model: Model, level: Level) -> Model:
    """The cell's model at the level's users, as recording made it for the level."""
    split = level.connections_per_worker or model.even_split(level.users, cell_model.inputs.workers)
    inputs = cell_model.inputs.model_copy(update={"users": level.users, "connections": split})
    return model.recompute(inputs).model_copy(update={"reason": level.reason})
