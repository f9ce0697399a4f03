"""SQLite and PostgreSQL side by side: the same db work, the same variants, on each setup.

A run with both the `db` (SQLite) and the `db-pg` (PostgreSQL) scenario gets this section in
its dashboard; docs/databases.md's table is the same rows as markdown.
"""

import html

from asyncgap.core.records import CellResult

PAIR = ("db", "db-pg")
NAMES = {"db": "SQLite", "db-pg": "PostgreSQL"}
WHY = (
    "On SQLite, the async variant goes through `databases` + aiosqlite, which runs every query on a "
    "thread of its own: each await is a hop to that thread and back, on top of the event loop's work, "
    "so async pays more CPU per request than sync's thread pool and cannot win. On PostgreSQL, asyncpg "
    "speaks the wire protocol on the event loop itself: a query in flight holds only a pooled "
    "connection, no thread, so async serves as many queries at once as its pool holds (100 per "
    "worker), while sync is capped by its 40 thread tokens and async-blocking by its one event loop."
)


def rows(cells: list[CellResult]) -> list[dict]:
    """One row per setup and variant that both scenarios measured."""
    found = {(c.setup, c.scenario, c.variant): c for c in cells if c.ok and c.scenario in PAIR}
    keys = dict.fromkeys((setup, variant) for setup, scenario, variant in found)
    out = []
    for setup, variant in keys:
        pair = [found.get((setup, scenario, variant)) for scenario in PAIR]
        if all(pair):
            out.append(
                {"setup": setup, "variant": variant, **{s: c for s, c in zip(PAIR, pair, strict=True)}}
            )
    return out


def _figures(cell: CellResult) -> list[str]:
    bound = cell.model.bound if cell.model else "-"
    predicted = f"{cell.predicted_rps:,.0f}" if cell.predicted_rps is not None else "-"
    return [f"{cell.rps:,.0f}", predicted, bound]


HEADER = ["setup", "variant"] + [f"{NAMES[s]} {what}" for s in PAIR for what in ("rps", "predicted", "bound")]


def markdown(cells: list[CellResult]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows(cells):
        lines.append(
            "| "
            + " | ".join([row["setup"], row["variant"], *_figures(row["db"]), *_figures(row["db-pg"])])
            + " |"
        )
    return "\n".join(lines)


def section(cells: list[CellResult]) -> str:
    """The dashboard's section, empty when the run lacks one of the two scenarios."""
    found = rows(cells)
    if not found:
        return ""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in HEADER)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(v)}</td>"
            for v in [r["setup"], r["variant"], *_figures(r["db"]), *_figures(r["db-pg"])]
        )
        + "</tr>"
        for r in found
    )
    return (
        f"<h2>SQLite and PostgreSQL side by side</h2><p>{html.escape(WHY)}</p>"
        f"<table><tr>{head}</tr>{body}</table>"
    )
