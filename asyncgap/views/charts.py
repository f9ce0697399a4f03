"""The dashboard's charts per scenario: throughput beside theory, latency, requests over time and the
event loop's lag (log scales: the gap spans decades)."""

import itertools
import json
import math
from pathlib import Path

import plotly.graph_objects as go

from asyncgap.core.records import CellResult
from asyncgap.core.variants import CELL_VARIANTS
from asyncgap.views.formats import COLORS, ok_cells

MIN_DECADES = 0.3  # how far above a log axis's bottom its least value stands, at the least


def layout(fig: go.Figure, title: str, yaxis: str, log: bool = False) -> go.Figure:
    fig.update_layout(
        title=title,
        yaxis_title=yaxis,
        barmode="group",
        template="plotly_white",
        height=380,
        margin={"t": 50, "b": 40, "l": 60, "r": 20},
        legend={"orientation": "h", "y": -0.15},
    )
    if log:
        fig.update_yaxes(type="log", dtick=1, range=_whole_decades(fig))  # ticks at powers of ten only
    return fig


def _whole_decades(fig: go.Figure) -> list[int] | None:
    """A log axis between powers of ten, from under the least value (by MIN_DECADES at least) to
    over the greatest: its ticks then show, and a bar starts from a round figure, where values
    within one decade (a CPU scenario's, all near 70 rps) would get a range of their own, no tick,
    and bars of a few pixels."""
    values = _drawn(fig)
    if not values:
        return None
    # the least value stands at least MIN_DECADES above the axis: 10.6 rps is a bar, not a line
    low, high = math.floor(math.log10(min(values)) - MIN_DECADES), math.ceil(math.log10(max(values)) + 0.01)
    return [low, max(high, low + 1)]


def has_data(fig: go.Figure) -> bool:
    """Whether a chart has a value to draw: one of none is left out (a user's app has no /fast
    probe, nor the demo's request counter)."""
    return bool(_drawn(fig))


def _drawn(fig: go.Figure) -> list[float]:
    """Every trace's values a log axis can draw (above 0)."""
    return [y for trace in fig.data for y in (getattr(trace, "y", None) or ()) if y is not None and y > 0]


def throughput_chart(cells: list[CellResult], scenario: str) -> go.Figure:
    """Measured rps per setup x variant, with theory's prediction marked on each bar."""
    fig = go.Figure()
    for variant in CELL_VARIANTS:
        vc = [c for c in ok_cells(cells) if c.scenario == scenario and c.variant == variant]
        if not vc:
            continue
        x = [c.setup for c in vc]
        fig.add_bar(
            name=f"{variant} measured",
            x=x,
            y=[c.rps for c in vc],
            marker_color=COLORS[variant],
            offsetgroup=variant,
        )
        fig.add_scatter(
            name="predicted (theory)",
            x=x,
            y=[c.predicted_rps for c in vc],
            mode="markers",
            marker={"symbol": "line-ew-open", "size": 28, "color": "#000", "line": {"width": 3}},
            offsetgroup=variant,
            legendgroup="predicted",
            showlegend=not any(t.legendgroup == "predicted" for t in fig.data),
        )
    fig.update_layout(scattermode="group")
    return layout(fig, f"{scenario}: throughput (bars) and theory (black ticks)", "requests/s", log=True)


def latency_chart(cells: list[CellResult], scenario: str, endpoint: str | None, title: str) -> go.Figure:
    """p50/p95/p99 per cell, all requests or one endpoint's (log scale: the gap spans decades)."""
    fig = go.Figure()
    for variant in CELL_VARIANTS:
        vc = [c for c in ok_cells(cells) if c.scenario == scenario and c.variant == variant]
        figures = [c.endpoint(endpoint) if endpoint else c for c in vc]
        for pct, opacity in (("p50_ms", 1.0), ("p95_ms", 0.7), ("p99_ms", 0.45)):
            fig.add_bar(
                name=f"{variant} {pct[:3]}",
                x=[c.setup for c in vc],
                y=[getattr(f, pct, None) for f in figures],
                marker_color=COLORS[variant],
                opacity=opacity,
            )
    return layout(fig, title, "milliseconds", log=True)


def _samples(run_dir: Path, cell: CellResult) -> list[dict]:
    path = run_dir / cell.folder / "samples.json"
    return json.loads(path.read_text()) if path.exists() else []


def timeline_chart(run_dir: Path, cells: list[CellResult], scenario: str) -> go.Figure:
    """Requests/s over the whole cell, warm-up included, as the server counted them (every 0.5 s)."""
    fig = go.Figure()
    for c in ok_cells(cells):
        if c.scenario != scenario:
            continue
        pairs = list(itertools.pairwise(_samples(run_dir, c)))
        fig.add_scatter(
            x=[b["t"] for _, b in pairs],
            y=[(b.get("requests", 0) - a.get("requests", 0)) / (b["t"] - a["t"]) for a, b in pairs],
            name=f"{c.setup} {c.variant}",
            mode="lines",
            line={"color": COLORS[c.variant]},
        )
    fig.update_xaxes(title="seconds since the swarm started")
    return layout(fig, f"{scenario}: requests/s over time, counted by the server", "requests/s", log=True)


def lag_chart(run_dir: Path, cells: list[CellResult], scenario: str) -> go.Figure:
    fig = go.Figure()
    for c in ok_cells(cells):
        if c.scenario != scenario:
            continue
        samples = _samples(run_dir, c)
        fig.add_scatter(
            x=[s["t"] for s in samples],
            y=[max(s["lag_s"].values(), default=0) * 1000 for s in samples],
            name=f"{c.setup} {c.variant}",
            mode="lines",
            line={"color": COLORS[c.variant]},
        )
    fig.update_layout(meta=scenario)  # render() puts the blocking table under it
    return layout(fig, f"{scenario}: event-loop lag, worst worker (ms)", "milliseconds", log=True)
