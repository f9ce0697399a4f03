"""A sweep's curves: throughput and latency against users, each level measured beside the model's
curve (made before the load from the cell's calibration alone) and its knee."""

import plotly.graph_objects as go

from asyncgap.cell import explain, model
from asyncgap.core.records import CellResult
from asyncgap.core.variants import CELL_VARIANTS
from asyncgap.views.charts import layout
from asyncgap.views.formats import COLORS, number, ok_cells


def swept_cells(cells: list[CellResult], scenario: str, setup: str) -> list[CellResult]:
    """The measured sweeps of one scenario on one setup, in the variants' order."""
    swept = [
        c for c in ok_cells(cells) if (c.scenario, c.setup) == (scenario, setup) and c.levels and c.model
    ]
    return sorted(swept, key=lambda c: CELL_VARIANTS.index(c.variant))


def _model_users(cell: CellResult) -> list[int]:
    """Every number of users from 1 to a quarter past the sweep's last level: the model's curve."""
    return list(range(1, int(cell.levels[-1].users * 1.25) + 1))


LEVEL_HOVER = (
    "<b>%{fullData.legendgroup}</b>, %{x} users<br>measured %{y:,.1f} rps, predicted "
    "%{customdata[0]} (%{customdata[1]}x)<br>p50 %{customdata[2]} ms, p95 %{customdata[3]} ms, "
    "/fast p95 %{customdata[4]} ms<br>bound: %{customdata[5]}<extra></extra>"
)


def _level_numbers(cell: CellResult) -> list[list[str]]:
    """What hovering a measured level shows, formatted as the tables are."""
    return [
        [
            number(lv.predicted_rps, 1),
            number(lv.measured_over_predicted, 2),
            number(lv.p50_ms),
            number(lv.p95_ms),
            number(lv.fast_p95_ms),
            lv.bound or "-",
        ]
        for lv in cell.levels
    ]


def curve_chart(cells: list[CellResult], scenario: str, setup: str) -> go.Figure:
    """Throughput against users: each variant's measured levels (points), the model's curve made
    from the cell's calibration alone (dashed) and its knee (dotted), where users stop helping."""
    fig = go.Figure()
    sweeps = swept_cells(cells, scenario, setup)
    for c in sweeps:
        color, users = COLORS[c.variant], _model_users(c)
        fig.add_scatter(
            x=users,
            y=[m.predicted_rps for m in model.curve(c.model.inputs, users)],
            mode="lines",
            name=f"{c.variant} model",
            legendgroup=c.variant,
            line={"color": color, "dash": "dash"},
            hovertemplate=f"{c.variant} model: %{{x}} users, %{{y:,.1f}} rps<extra></extra>",
        )
        fig.add_scatter(
            x=[lv.users for lv in c.levels],
            y=[lv.rps for lv in c.levels],
            mode="lines+markers",
            name=f"{c.variant} measured",
            legendgroup=c.variant,
            line={"color": color, "width": 1},
            marker={"color": color, "size": 10},
            customdata=_level_numbers(c),
            hovertemplate=LEVEL_HOVER,
        )
    rps = [r for c in sweeps for lv in c.levels for r in (lv.rps, lv.predicted_rps) if r]
    for row, c in enumerate(sweeps):
        knee = model.knee(c.model.inputs)
        if knee is None or not rps or not 1 <= knee.users <= c.levels[-1].users * 1.25:
            continue
        words, color = f"{c.variant}: {explain.knee_words(knee)}", COLORS[c.variant]
        low, high = min(rps) / 1.5, max(rps) * 1.5
        fig.add_scatter(
            x=[knee.users] * 3,
            y=[low, high / 2.5**row, high],
            mode="lines+text",  # labels one under another
            text=["", words, ""],
            textfont={"color": color},
            showlegend=False,
            textposition="bottom left" if knee.users**2 > c.levels[-1].users else "bottom right",
            line={"color": color, "dash": "dot", "width": 1},
            legendgroup=c.variant,
            hovertemplate=f"{words}<extra></extra>",
        )
    fig.update_xaxes(type="log", title="concurrent users (log)")
    title = f"{scenario} on {setup}: throughput against users (measured; dashed: the model; dotted: its knee)"
    return layout(fig, title, "requests/s (log)", log=True)


def latency_curve_chart(cells: list[CellResult], scenario: str, setup: str) -> go.Figure:
    """Latency against users: each level's p50, p95 and /fast p95 beside the model's mean, N / X
    (less the users' think time, when their locustfile has one)."""
    fig = go.Figure()
    for c in swept_cells(cells, scenario, setup):
        color, users = COLORS[c.variant], _model_users(c)
        curve, think = model.curve(c.model.inputs, users), model.think_s(c.model.inputs.endpoints)
        fig.add_scatter(
            x=users,
            y=[model.latency_ms(n, m.predicted_rps, think) for n, m in zip(users, curve, strict=True)],
            mode="lines",
            name=f"{c.variant} model mean (N / X{' - Z' if think else ''})",
            legendgroup=c.variant,
            line={"color": color, "dash": "dash"},
            hovertemplate="%{x} users: %{y:,.1f} ms, the model's mean",
        )
        for key, label, symbol in (
            ("p50_ms", "p50", "circle"),
            ("p95_ms", "p95", "circle-open"),
            ("fast_p95_ms", "/fast p95", "x"),
        ):
            fig.add_scatter(
                x=[lv.users for lv in c.levels],
                y=[getattr(lv, key) for lv in c.levels],
                mode="markers",
                name=f"{c.variant} {label}",
                legendgroup=c.variant,
                marker={"color": color, "symbol": symbol, "size": 9},
                hovertemplate=f"{c.variant}, %{{x}} users: {label} %{{y:,.1f}} ms<extra></extra>",
            )
    fig.update_xaxes(type="log", title="concurrent users (log)")
    title = f"{scenario} on {setup}: latency against users (measured; dashed: the model's mean)"
    return layout(fig, title, "milliseconds (log)", log=True).update_layout(height=480, legend={"y": -0.3})


CURVES_NOTE = """<p>Each swept cell is one server and one swarm holding each level of users in turn,
each level's warm-up discarded. Points are measured; the dashed curve is the model, made before
the load from the cell's calibration alone; the dotted line is its knee, where the station that
binds first saturates: its servers (thread tokens, the event loop, cores) over the share of a
user's cycle that holds one. Past the knee, more users bring only latency.</p>"""
