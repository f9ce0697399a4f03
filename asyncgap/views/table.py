"""The dashboard's table of measured vs predicted: a row per cell (a sweep: per level), and under it
what theory said, why it missed, and what went wrong."""

import html

from asyncgap.cell import explain, regroup
from asyncgap.core.records import CellResult
from asyncgap.core.thresholds import ThresholdResult
from asyncgap.engines import supervision
from asyncgap.views import blocking, threshold_marks
from asyncgap.views.columns import counted_connections
from asyncgap.views.formats import number
from asyncgap.views.verdicts import fast_p95


def _rps_known(cell: CellResult) -> str:
    """rps with its 95% interval from the steady seconds (repeats show their spread elsewhere)."""
    ci = cell.rps_ci95_pct
    if ci is None or cell.repeats > 1:
        return f"{cell.rps:,.1f}"
    return f"{cell.rps:,.1f} ±{ci:.1f}%"


HEAD = (
    "setup scenario variant users rps&nbsp;±95% predicted meas/pred even-split bound p50 p95 p99 "
    "/fast&nbsp;p95 failures connections generator report"
).split()
FAST_COLUMN = HEAD.index("/fast&nbsp;p95")


def measured_vs_predicted(cells: list[CellResult], thresholds: list[ThresholdResult]) -> str:
    """The table; each failed threshold is marked under its cell. Without a /fast probe in any
    row (a user's app), no column for it."""
    levels = regroup.by_level(cells)  # a sweep: a row per level
    probed = any(fast_p95(c) is not None for c in levels if c.ok)
    head = HEAD if probed else HEAD[:FAST_COLUMN] + HEAD[FAST_COLUMN + 1 :]
    rows = []
    for c in levels:
        rows += _measured_rows(c, thresholds, probed, len(head)) if c.ok else [_failed_row(c, len(head))]
    header = "".join(f"<th>{h}</th>" for h in head)
    return f"<table><tr>{header}</tr>" + "".join(f"<tr>{r}</tr>" for r in rows) + "</table>"


def _cells(values: list) -> str:
    return "".join(f"<td>{html.escape(str(v))}</td>" for v in values)


def _failed_row(c: CellResult, width: int) -> str:
    reason = html.escape(c.reason or "")
    if c.error_file:
        reason += f" (<a href='{html.escape(c.error_file)}'>details</a>)"
    failed = f"<td colspan={width - 4} style='text-align:left;color:#b00'>failed: {reason}</td>"
    return _cells([c.setup, c.scenario, c.variant, c.users]) + failed


def _measured_rows(c: CellResult, thresholds: list[ThresholdResult], probed: bool, width: int) -> list[str]:
    """The cell's row (its /fast p95 when `probed`), then a row for each note under it."""
    busy = "-" if c.generator_cores_busy is None else f"{c.generator_cores_busy:.2f} core"
    cols = [
        c.setup,
        c.scenario,
        c.variant,
        c.users,
        _rps_known(c),
        number(c.predicted_rps, 1),
        number(c.measured_over_predicted, 2),
        number(c.predicted_rps_even_split, 1),
        c.model.bound if c.model else "-",
        number(c.p50_ms),
        number(c.p95_ms),
        number(c.p99_ms),
        *([number(fast_p95(c))] if probed else []),
        c.failures,
        counted_connections(c),
        busy + (" ⚠ bound" if c.generator_bound else ""),
    ]
    report = c.locust_report
    link = f"<td><a href='{html.escape(report)}'>Locust</a></td>" if report else "<td></td>"
    return [_cells(cols) + link] + [
        f"<td colspan=3></td><td colspan={width - 3} style='text-align:left;color:{color}'>"
        f"{label}: {html.escape(text)}</td>"
        for label, (text, color) in _notes(c, thresholds).items()
        if text
    ]


def _notes(c: CellResult, thresholds: list[ThresholdResult]) -> dict[str, tuple[str, str]]:
    """What theory said (a sweep's curves say it), why it missed, and what went wrong: text, colour."""
    return {
        "theory": (explain.in_words(c.model), "#555") if c.model and not c.levels else ("", ""),
        "theory missed": (c.model.reason if c.model else "", "#b00"),
        "server": (supervision.describe(c.server_events), "#b00"),
        "failures": ("; ".join(f"{r.count} x {r.name}: {r.error}" for r in c.failure_reasons), "#b00"),
        "blocking": (blocking.words(c), "#555"),
        "thresholds failed": (threshold_marks.failed_beside(thresholds, c), "#b00"),
    }
