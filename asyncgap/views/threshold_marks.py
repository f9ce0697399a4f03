"""The run's thresholds on the dashboard: a pass/fail table, and each failed one beside its cell."""

import html

from asyncgap.core.records import CellResult
from asyncgap.core.thresholds import ThresholdResult


def value(result: ThresholdResult) -> str:
    return "-" if result.value is None else f"{result.value:,.4g}"


def failed_beside(results: list[ThresholdResult], cell: CellResult) -> str:
    """The failed thresholds of one row of the cells' table (a sweep's level is a row of its own)."""
    return "; ".join(
        f"{r.expr} ({r.note})"
        for r in results
        if not r.passed and r.cell == cell.folder and r.users in (None, cell.users)
    )


def section(results: list[ThresholdResult]) -> str:
    """Every threshold judged on every cell it applies to, failed ones first; empty without any."""
    if not results:
        return ""
    failed = sum(not r.passed for r in results)
    rows = "".join(
        f"<tr class={'threshold-failed' if not r.passed else 'threshold-passed'}>"
        f"<td>{html.escape(r.cell)}</td><td>{r.users or '-'}</td><td><code>{html.escape(r.expr)}</code></td>"
        f"<td>{value(r)}</td><td style='color:{'#b00' if not r.passed else '#2a7'}'>"
        f"{'failed' if not r.passed else 'passed'}</td>"
        f"<td style='text-align:left'>{html.escape(r.note)}</td></tr>"
        for r in sorted(results, key=lambda r: r.passed)
    )
    head = "".join(f"<th>{h}</th>" for h in ("cell", "users", "threshold", "value", "result", "why"))
    return (
        f"<h2>Thresholds</h2><p>{len(results) - failed} passed, {failed} failed "
        "(a threshold on a cell that failed, or on a figure it did not measure, counts as failed).</p>"
        f"<table><tr>{head}</tr>{rows}</table>"
    )
