"""The watchdog's figures in words and tables: the verdict's sentence, the dashboard's table of
call sites, a row's note and the console's column. One wording, shared by all of them."""

import html

from asyncgap.cell.blocking import NO_DATA
from asyncgap.core.records import BlockingSite, CellResult

NOTABLE = 0.01  # a loop blocked less than this share of the time is "not blocked"
CALLED_OUT = 0.05  # the console names the callee of a loop blocked at least this share of the time
TABLE_ROWS = 3  # call sites per cell under the lag chart


def doing(site: BlockingSite, share: bool = False) -> str:
    """What the site's samples mostly did (`BlockingSite.doing`), with `(97%)`, its share of the
    site's time, if asked."""
    words = site.doing()
    return words + (f" ({pct(site.state_share)})" if words and share and site.state_share is not None else "")


def thread_tokens(cell: CellResult) -> int | None:
    inputs = cell.model.inputs if cell.model else None
    return inputs and inputs.thread_tokens * inputs.workers


def busy(cell: CellResult) -> str:
    """'39.6 of 40' pool threads busy (without 'of' when the cell has no model)."""
    return _count(cell.threads_busy_mean or 0.0, thread_tokens(cell))


def _count(busy: float, of: int | None) -> str:
    return f"{busy:,.1f}" + (f" of {of}" if of else "")


def loop_words(cell: CellResult) -> str:
    """'the loop was blocked 97% of the time, 99% of it in time.sleep called from ...'."""
    if cell.blocking is None or cell.loop_blocked_share is None:
        return cell.blocking_missing or NO_DATA
    if cell.loop_blocked_share < NOTABLE or not cell.blocking:
        return f"the loop was blocked {pct(cell.loop_blocked_share)} of the time"
    share, top = cell.loop_blocked_share, cell.blocking[0]
    return f"the loop was blocked {pct(share)} of the time, {pct(top.share)} of it in {top.in_words()}"


def _pools(cell: CellResult) -> list[tuple[str, str, float, int | None, list[BlockingSite]]]:
    """The thread pools that were busy: (label, what their threads are, busy on average, of how
    many, sites): anyio's pool, as many threads as tokens, then the loop's default executor. A
    thread runs its call; its token is held a little longer, until the loop takes the result."""
    pools = [
        ("threads", "pool threads", cell.threads_busy_mean, thread_tokens(cell), cell.threads),
        (
            "executor",
            "default-executor threads",
            cell.executor_busy_mean,
            cell.executor_workers,
            cell.executor,
        ),
    ]
    return [pool for pool in pools if pool[4] and (pool[2] or 0.0) >= NOTABLE]


def _busy(busy: float, of: int | None, noun: str) -> str:
    return f"{_count(busy, of)} {noun} busy"


def thread_words(cell: CellResult) -> str:
    """'39.6 of 40 pool threads busy, 100% of it in time.sleep called from ...', and the same for
    the loop's default executor; empty when no pool was busy."""
    return "; ".join(
        f"{_busy(busy, of, noun)}, {pct(sites[0].share)} of it in {sites[0].in_words()}"
        for _, noun, busy, of, sites in _pools(cell)
    )


def words(cell: CellResult) -> str:
    """The loop's words, and the thread pools' if they were busy."""
    return "; ".join(w for w in (loop_words(cell), thread_words(cell)) if w)


def verdict(cell: CellResult) -> str:
    return f"under {cell.variant}, {words(cell)}"


def pct(share: float) -> str:
    """A share in whole percents, but 99.5% is not 100% and 0.4% is not 0%."""
    text = f"{share:.0%}"
    return f"{share:.1%}" if text in ("0%", "100%") and share not in (0.0, 1.0) else text


def short(cell: CellResult) -> str:
    """The console's column, narrow: '98% time.sleep', '1%' or 'no data' (call sites: `called_out`)."""
    if cell.blocking is None or cell.loop_blocked_share is None:
        return "no data"
    if cell.loop_blocked_share < CALLED_OUT or not cell.blocking:
        return f"{pct(cell.loop_blocked_share)}"
    return f"{pct(cell.loop_blocked_share)} {cell.blocking[0].callee}"


def called_out(cells: list[CellResult]) -> list[str]:
    """Under the console's table, one line per cell whose loop was blocked: where."""
    return [
        f"{c.setup} {c.scenario} {c.variant} {c.users} users: {loop_words(c)}"
        for c in cells
        if c.blocking and (c.loop_blocked_share or 0.0) >= CALLED_OUT
    ]


def _rows(label: str, amount: str, sites: list[BlockingSite]) -> list[str]:
    rows = []
    for i, s in enumerate(sites[:TABLE_ROWS]):
        head = f"<td>{label}</td><td>{amount}</td>" if i == 0 else "<td></td><td></td>"
        rows.append(
            f"<tr>{head}<td>{html.escape(s.callee)}</td><td>{html.escape(s.site)}</td>"
            f"<td>{html.escape(doing(s, share=True))}</td><td>{s.share:.1%}</td></tr>"
        )
    return rows


def table(cells: list[CellResult]) -> str:
    """Under the lag chart: each cell's share of time blocked and its top call sites, what each
    did (waiting or working), then its busy thread pools and theirs (thread-seconds)."""
    rows = []
    for c in cells:
        label = html.escape(f"{c.setup} {c.variant} {c.users} users")
        if c.blocking is None or c.loop_blocked_share is None:
            rows.append(f"<tr><td>{label}</td><td colspan=5>{html.escape(loop_words(c))}</td></tr>")
            continue
        rows += _rows(f"{label}: loop", f"{c.loop_blocked_share:.1%} blocked", c.blocking) or [
            f"<tr><td>{label}: loop</td><td>{c.loop_blocked_share:.1%} blocked</td><td colspan=4></td></tr>"
        ]
        for pool, noun, busy, of, sites in _pools(c):
            rows += _rows(f"{label}: {pool}", html.escape(_busy(busy, of, noun)), sites)
    return (
        "<table class=blocking><tr><th>cell</th><th>time</th><th>callee</th><th>call site</th>"
        "<th>doing</th><th>share</th></tr>" + "".join(rows) + "</table>"
    )
