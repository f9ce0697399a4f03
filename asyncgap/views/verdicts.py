"""The verdict in plain words, computed from the numbers: per scenario and setup, best variant first,
and how each swept variant's throughput followed its users."""

import html

from asyncgap.cell import model
from asyncgap.core.names import FAST
from asyncgap.core.records import CellResult
from asyncgap.views import blocking
from asyncgap.views.curves import swept_cells
from asyncgap.views.formats import number, ok_cells, times

COLLAPSE = 0.8  # a sweep whose last level serves less than this share of its peak is called out


def fast_p95(cell: CellResult) -> float | None:
    """The /fast probe's p95: its endpoint's, or a sweep level's (regroup.by_level)."""
    fast = cell.endpoint(FAST)
    if fast is not None:
        return fast.p95_ms
    return cell.levels[-1].fast_p95_ms if cell.levels else None


def ranked(cells: list[CellResult], scenario: str, setup: str) -> list[CellResult]:
    """The measured cells of one scenario on one setup, the most served first."""
    mine = [c for c in ok_cells(cells) if (c.scenario, c.setup) == (scenario, setup)]
    return sorted(mine, key=lambda c: c.rps or 0.0, reverse=True)


def verdicts(cells: list[CellResult]) -> list[str]:
    """Plain words per scenario and setup, computed from the numbers: best variant first."""
    lines = []
    for scenario in dict.fromkeys(c.scenario for c in cells):
        for setup in dict.fromkeys(c.setup for c in cells if c.scenario == scenario):
            order = ranked(cells, scenario, setup)
            if len(order) < 2:
                continue
            best = order[0]
            served = ", ".join(
                f"{c.variant} {c.rps:,.1f} rps" + ("" if c is best else f" ({times(best.rps, c.rps)} less)")
                for c in order
            )
            probe = ", ".join(
                f"{fast_p95(c):,.0f} ms under {c.variant}" for c in order if fast_p95(c) is not None
            )
            theory = ", ".join(f"{c.measured_over_predicted:.2f}" for c in order if c.measured_over_predicted)
            blocked = "; ".join(blocking.verdict(c) for c in order)
            lines.append(
                f"<b>{html.escape(scenario)} on {html.escape(setup)}</b>: {served}. "
                f"The /fast probe's p95 was {probe}. Measured/predicted: {theory}. "
                f"Who held the loop and the threads: {html.escape(blocked)}."
            )
    return lines


def _by_users(cell: CellResult) -> str:
    """A sweep in words: where it started, peaked, ended if it fell, the model's knee, its worst level."""
    first, last = cell.levels[0], cell.levels[-1]
    peak = max(cell.levels, key=lambda lv: lv.rps or 0.0)
    text = f"{cell.variant} {number(first.rps)} rps at {first.users}, {number(peak.rps)} at {peak.users}"
    if last is not peak and (last.rps or 0.0) < COLLAPSE * (peak.rps or 0.0):
        text += f", then {number(last.rps)} at {last.users}: <b>more users, less throughput</b>"
    if knee := model.knee(cell.model.inputs):
        text += f" (the model's knee: {knee.users:,.0f} users)"
    ratios = [lv for lv in cell.levels if lv.measured_over_predicted]
    if ratios:
        worst = max(ratios, key=lambda lv: abs(lv.measured_over_predicted - 1))
        text += f", worst level {worst.measured_over_predicted:.2f}x the model at {worst.users} users"
    return text


def sweep_verdicts(cells: list[CellResult]) -> list[str]:
    """Plain words per scenario and setup swept: how each variant's throughput followed its users."""
    lines = []
    for scenario, setup in dict.fromkeys((c.scenario, c.setup) for c in cells):
        if sweeps := swept_cells(cells, scenario, setup):
            words = "; ".join(_by_users(c) for c in sweeps)
            lines.append(f"<b>{html.escape(scenario)} on {html.escape(setup)}, by users</b>: {words}.")
    return lines
