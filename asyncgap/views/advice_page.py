"""The advice of a run of the user's own app, as the dashboard's section and as advice.json: the
same records (asyncgap/core/advice.py), so the page and the file never say different things."""

import html
from pathlib import Path

from asyncgap.core.advice import ADVICE_NAME, Advice, CellAdvice, CurvePoint, KneeFigures, RouteAdvice
from asyncgap.core.files import write_json
from asyncgap.core.records import RunSummary
from asyncgap.views import advice, advice_text
from asyncgap.views.formats import number

NOTE = """<p>Per route: where it runs and its thread-pool hops (from the app's own routes), whether it
blocked the loop (the watchdog's samples of the last level), its curve (its rate against its own
requests in flight, rate x mean latency) with the model's knee and the measured one (best rate x round
trip alone, once the last level carried twice that load), what held it,
and the change that would move its bound. Every sentence is written from the figures beside it
(advice.json).</p>"""


def _knee(k: KneeFigures) -> str:
    model = "-" if k.model is None else f"{k.model:.1f} ({k.model_bound})"
    measured = "not flattened" if k.measured is None else f"{k.measured:.1f}"
    return f"model {model} · measured {measured} {k.load}"


def _curve_table(points: list[CurvePoint], in_flight: bool) -> str:
    head = "<tr><th>users</th>" + ("<th>in flight</th>" if in_flight else "") + "<th>rps</th>"
    head += "<th>predicted</th><th>measured/predicted</th></tr>"
    rows = "".join(
        f"<tr><td>{p.users}</td>"
        + (f"<td>{number(p.in_flight, 1)}</td>" if in_flight else "")
        + f"<td>{number(p.rps, 1)}</td><td>{number(p.predicted_rps, 1)}</td>"
        + f"<td>{number(p.rps / p.predicted_rps if p.rps and p.predicted_rps else None, 2)}</td></tr>"
        for p in points
    )
    return f"<table>{head}{rows}</table>"


def _sentences(lines: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"


def _route(route: RouteAdvice) -> str:
    hops = "?" if route.hops is None else route.hops
    return (
        f"<h4>{html.escape(route.endpoint)}: {route.station}, {hops} hop(s) · {_knee(route.knee)}</h4>"
        f"{_sentences(route.sentences)}{_curve_table(route.curve, in_flight=True)}"
    )


def _cell(cell: CellAdvice) -> str:
    routes = "".join(_route(route) for route in cell.routes)
    return (
        f"<h3>{html.escape(cell.setup)} · {_knee(cell.knee)}</h3>{_sentences(cell.sentences)}"
        f"{_curve_table(cell.curve, in_flight=False)}{routes}"
    )


def section(found: Advice | None) -> str:
    """The dashboard's advice section ('' for the demo's runs)."""
    if found is None:
        return ""
    missing = f"<p class=warn>{html.escape(found.missing)}</p>" if found.missing else ""
    body = "".join(_cell(cell) for cell in found.cells)
    return f"<h2>Advice for {html.escape(found.target)}</h2>{NOTE}{missing}{body}"


def limiters(found: Advice | None) -> list[str]:
    """What the console says after a run of the user's app: each route that flattened well below
    the model's knee, and what held it."""
    if found is None:
        return []
    return [
        f"{cell.setup} {route.endpoint}: {line}"
        for cell in found.cells
        for route in cell.routes
        for line in route.sentences
        if line.startswith(advice_text.FLATTENS)
    ]


def write(run_dir: Path, summary: RunSummary) -> Advice | None:
    """advice.json beside summary.json (a run of the user's app only); the advice it holds."""
    found = advice.build(summary)
    if found is not None:
        write_json(run_dir / ADVICE_NAME, found)
    return found
