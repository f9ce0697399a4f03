"""The verdict at a glance: per scenario, a table of its variants ranked on each setup, with how many
times less each served than the best, the /fast probe's p95, measured/predicted and the one call site
that explains it (the loop's or the threads', whichever was held the larger share of the time)."""

import html

from asyncgap.core.names import FAST
from asyncgap.core.records import BlockingSite, CellResult
from asyncgap.views import blocking
from asyncgap.views.formats import number, ok_cells, times
from asyncgap.views.verdicts import fast_p95, ranked

PROBE_NOTE = """the <i>/fast</i> probe's p95 (a request that never waits: its latency is the starvation
others cause); """


def note(cells: list[CellResult]) -> str:
    """What the tables show; the /fast probe's column only when a table has it (not a user's app)."""
    probe = PROBE_NOTE if any(fast_p95(c) is not None for c in ok_cells(cells)) else ""
    return (
        "<p>Per scenario, on each setup, the variants ranked by requests served per second; how many "
        f"times less each served than the best; {probe}measured over the model's prediction; and what "
        "was held, the event loop (the share of the time it was blocked) or the thread tokens (how many "
        "were busy), with its top call site and that site's share of the holding.</p>"
    )


HEAD = ["setup", "rank", "variant", "users", "rps", "less than the best", "meas/pred", "held", "top site"]


def top_site(cell: CellResult) -> tuple[str, BlockingSite] | None:
    """What was held and its top call site: the loop's blocked share against the threads' busy share
    of their tokens, the larger; None when neither was held a notable share of the time."""
    held = []
    if cell.blocking and (cell.loop_blocked_share or 0.0) >= blocking.NOTABLE:
        held.append(
            (cell.loop_blocked_share, f"loop {blocking.pct(cell.loop_blocked_share)} blocked", cell.blocking)
        )
    busy = cell.threads_busy_mean or 0.0
    if cell.threads and busy >= blocking.NOTABLE:
        tokens = blocking.thread_tokens(cell)
        held.append(
            (
                busy / tokens if tokens else blocking.NOTABLE,
                f"threads {blocking.busy(cell)} busy",
                cell.threads,
            )
        )
    if not held:
        return None
    _, label, sites = max(held, key=lambda h: h[0])
    return label, sites[0]


def _site_cells(cell: CellResult) -> list[str]:
    """The 'held' and 'top site' columns, escaped."""
    if cell.blocking is None and not cell.threads:
        return ["-", html.escape(cell.blocking_missing or blocking.NO_DATA)]
    found = top_site(cell)
    if found is None:
        return [f"loop {blocking.pct(cell.loop_blocked_share or 0.0)} blocked", "-"]
    label, site = found
    return [label, f"{html.escape(site.in_words())}, {blocking.pct(site.share)}"]


def _row(cell: CellResult, rank: int, best: CellResult, with_fast: bool) -> list[str]:
    fast = [number(fast_p95(cell))] if with_fast else []
    less = "best" if cell is best else times(best.rps, cell.rps)
    return [
        html.escape(cell.setup) if rank == 1 else "",
        str(rank),
        f"<b>{html.escape(cell.variant)}</b>" if cell is best else html.escape(cell.variant),
        str(cell.users),
        number(cell.rps, 1),
        less,
        *fast,
        number(cell.measured_over_predicted, 2),
        *_site_cells(cell),
    ]


def _failed_row(cell: CellResult, width: int) -> str:
    """A failed cell, unranked, with the first line of why (the measured table links its details)."""
    reason = (cell.reason or "").partition("\n")[0]
    return (
        f"<tr><td></td><td>-</td><td>{html.escape(cell.variant)}</td><td>{cell.users}</td>"
        f"<td colspan={width - 4} style='text-align:left;color:#b00'>failed: {html.escape(reason)}</td></tr>"
    )


def table(cells: list[CellResult], scenario: str) -> str:
    """One scenario's table: a block of rows per setup, its variants ranked by rps."""
    mine = [c for c in cells if c.scenario == scenario]
    with_fast = any(fast_p95(c) is not None for c in ok_cells(mine))
    head = HEAD[:6] + [f"{FAST} p95 ms"] * with_fast + HEAD[6:]
    rows = []
    for setup in dict.fromkeys(c.setup for c in mine):
        order = ranked(mine, scenario, setup)
        rows += [
            "<tr>" + "".join(f"<td>{v}</td>" for v in _row(c, i, order[0], with_fast)) + "</tr>"
            for i, c in enumerate(order, start=1)
        ]
        rows += [_failed_row(c, len(head)) for c in mine if c.setup == setup and not c.ok]
    header = "".join(f"<th>{h}</th>" for h in head)
    return (
        f"<h3>{html.escape(scenario)}</h3><table class=glance><tr>{header}</tr>" + "".join(rows) + "</table>"
    )


def tables(cells: list[CellResult]) -> str:
    """A table per scenario, in the order run."""
    return "".join(table(cells, scenario) for scenario in dict.fromkeys(c.scenario for c in cells))
