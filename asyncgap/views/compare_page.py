"""compare.html: each cell's throughput change between two runs with its 95% interval, and the
table."""

import html
from pathlib import Path

import plotly.graph_objects as go

from asyncgap.core.files import write_atomic
from asyncgap.views import figures_html
from asyncgap.views.formats import CSS, percent, rps_text

VERDICT_COLORS = {"faster": "#54A24B", "slower": "#E45756", "not significant": "#9D9D9D"}


HEAD = [
    *("setup", "scenario", "variant", "users", "rps A", "rps B"),
    *("change", "95% interval", "p50", "p95", "samples", "verdict"),
]


def write(rows: list[dict], run_a: Path, run_b: Path, path: Path) -> Path:
    """compare.html: each cell's throughput change with its 95% interval, and the table."""
    (chart,) = figures_html.divs([_chart([r for r in rows if "rps_change" in r])])
    body = "".join(f"<tr>{_row(r)}</tr>" for r in rows)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>asyncgap compare</title>
<style>{CSS}</style></head><body><h1>asyncgap: compare two runs</h1>
<p class=meta>A = {html.escape(str(run_a))} · B = {html.escape(str(run_b))}</p>
<p>A change is called faster or slower only when its 95% interval excludes zero. Intervals come from
the repeats (<code>--repeat K</code>) or, with one repeat, from the steady seconds of each cell,
which understates the noise between runs.</p>
<div class=chart>{chart}</div>
<table><tr>{"".join(f"<th>{h}</th>" for h in HEAD)}</tr>{body}</table>
{figures_html.library()}</body></html>"""
    return write_atomic(path, page)


def _chart(measured: list[dict]) -> go.Figure:
    """A bar per measured cell: its change in percent, its 95% interval as error bars."""
    fig = go.Figure(
        go.Bar(
            x=[r["rps_change"] * 100 for r in measured],
            y=[f"{r['setup']} {r['scenario']} {r['variant']} {r['users']} users" for r in measured],
            orientation="h",
            marker_color=[VERDICT_COLORS[r["verdict"]] for r in measured],
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [(r["ci_high"] - r["rps_change"]) * 100 for r in measured],
                "arrayminus": [(r["rps_change"] - r["ci_low"]) * 100 for r in measured],
            },
            text=[r["verdict"] for r in measured],
            hovertemplate="%{y}: %{x:.1f}%<extra></extra>",
        )
    )
    return fig.update_layout(
        title="Throughput change from A to B, with 95% intervals (grey: not significant)",
        xaxis_title="% change in requests/s",
        template="plotly_white",
        height=140 + 28 * len(measured),
        margin={"l": 260},
    )


def _row(r: dict) -> str:
    values = (
        r["setup"],
        r["scenario"],
        r["variant"],
        r["users"],
        rps_text(r.get("rps_a")),
        rps_text(r.get("rps_b")),
        percent(r.get("rps_change")),
        f"{percent(r['ci_low'])} to {percent(r['ci_high'])}" if "ci_low" in r else "-",
        percent(r.get("p50_change")),
        percent(r.get("p95_change")),
        r.get("basis", "-"),
        r["verdict"],
    )
    return "".join(f"<td>{html.escape(str(v))}</td>" for v in values)
