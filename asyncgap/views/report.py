"""summary.json + each cell's history and samples -> report.html, one self-contained file.

Plotly's JavaScript is embedded once (figures_html), so the dashboard opens offline from disk.
"""

import html
import json
from pathlib import Path

import plotly.graph_objects as go

from asyncgap.cell import regroup
from asyncgap.core.files import write_atomic
from asyncgap.core.names import FAST
from asyncgap.core.records import CellResult, load_summary
from asyncgap.views import (
    advice,
    advice_page,
    blocking,
    curves,
    databases,
    figures_html,
    glance,
    table,
    threshold_marks,
    verdicts,
)
from asyncgap.views.charts import has_data, lag_chart, latency_chart, throughput_chart, timeline_chart
from asyncgap.views.formats import CSS, ok_cells

MODEL_NOTE = """<p>Predicted before each cell's load, from its calibration alone (each endpoint's round trip,
the time it holds its declared station and its CPU, measured one request at a time on the idle server):
the smallest of the closed network's bounds, named in <i>bound</i> (users' connections, thread tokens,
the event loop, the process pool or CPU), with each worker's measured share of the connections;
<i>even-split</i> assumes the kernel spread them evenly. Where measured/predicted is outside ±10%,
the row says what the cell measured that theory did not expect. See asyncgap's docs/methodology.md.</p>"""


def _curve_charts(cells: list[CellResult]) -> list[go.Figure]:
    """Throughput and latency against users, for each scenario and setup swept."""
    swept = [
        (scenario, setup)
        for scenario in dict.fromkeys(c.scenario for c in cells)
        for setup in dict.fromkeys(c.setup for c in cells)
        if curves.swept_cells(cells, scenario, setup)
    ]
    return [draw(cells, *pair) for pair in swept for draw in (curves.curve_chart, curves.latency_curve_chart)]


def _scenario_charts(run_dir: Path, cells: list[CellResult]) -> list[go.Figure]:
    """Each scenario's charts that have something to draw; the lag chart always, as the blocking
    table goes under it."""
    return [
        fig
        for scenario in dict.fromkeys(c.scenario for c in cells)
        for fig in (
            throughput_chart(cells, scenario),
            latency_chart(cells, scenario, None, f"{scenario}: latency of all requests (p50, p95, p99)"),
            latency_chart(cells, scenario, FAST, f"{scenario}: the /fast probe's latency (starvation)"),
            timeline_chart(run_dir, cells, scenario),
            lag_chart(run_dir, cells, scenario),
        )
        if fig.layout.meta or has_data(fig)
    ]


def _charts_html(run_dir: Path, cells: list[CellResult]) -> tuple[str, str]:
    """The curves' section (empty without a sweep) and the charts'; under each lag chart, who
    blocked the loop."""
    drawn, per_scenario = _curve_charts(cells), _scenario_charts(run_dir, cells)
    html_of = figures_html.divs(drawn + per_scenario)
    curves_html = "".join(f"<div class=chart>{c}</div>" for c in html_of[: len(drawn)])
    by_users = f"<h2>Throughput against users</h2>{curves.CURVES_NOTE}{curves_html}" if drawn else ""
    under = [
        blocking.table([c for c in ok_cells(cells) if c.scenario == fig.layout.meta])
        if fig.layout.meta
        else ""
        for fig in per_scenario
    ]
    rest = "".join(
        f"<div class=chart>{c}</div>{below}" for c, below in zip(html_of[len(drawn) :], under, strict=True)
    )
    return by_users, rest


def _facts(run_dir: Path) -> str:
    """The run's metadata in one line: profile, engine, start, CPUs and the versions that served
    the load: a user's app's, from its own interpreter (asyncgap's own would be another FastAPI
    than the one it ran), and the Locust that drove it."""
    meta_path = run_dir / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    harness = meta.get("versions", {})
    if app := meta.get("app"):
        served = {**app.get("versions", {}), "locust": harness.get("locust")}
        versions = f"{app.get('target', '?')} on Python {served.pop('python', '?')} · "
    else:
        served, versions = harness, f"Python {meta.get('python', '?')} · "
    return (
        f"profile {meta.get('profile', '?')} · engine {meta.get('engine', 'local')} "
        f"({meta.get('generator_workers', 1)} Locust worker(s)) · started {meta.get('started_utc', '?')} · "
        f"{meta.get('cpu_count', '?')} CPUs · {versions}"
        + " · ".join(f"{name} {v}" for name, v in served.items() if v)
    )


def render(run_dir: Path) -> str:
    summary = load_summary(run_dir)
    cells = regroup.merge_repeats(summary.cells)
    by_users, charts_html = _charts_html(run_dir, cells)
    warn = "" if summary.complete else "<p class=warn>This run is incomplete: it was interrupted.</p>"
    lines = verdicts.verdicts(cells) + verdicts.sweep_verdicts(cells)
    verdict = "".join(f"<li>{line}</li>" for line in lines)
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>asyncgap report</title>
<style>{CSS}</style></head><body>
<h1>asyncgap: blocking vs non-blocking FastAPI</h1><p class=meta>{html.escape(_facts(run_dir))}</p>{warn}
<h2>Verdict</h2>{glance.note(cells)}{glance.tables(cells)}
<details><summary>The verdict in sentences</summary><ul class=verdict>{verdict}</ul></details>
{threshold_marks.section(summary.thresholds)}
{advice_page.section(advice.build(summary))}
{by_users}
{databases.section(cells)}
<h2>Measured vs predicted</h2>
{MODEL_NOTE}
{table.measured_vs_predicted(cells, summary.thresholds)}
<h2>Charts</h2>{charts_html}
{figures_html.library()}</body></html>"""


def write(run_dir: Path) -> Path:
    """Render and write report.html atomically, and a run of the user's app's advice.json; returns
    report.html's path."""
    advice_page.write(run_dir, load_summary(run_dir))
    return write_atomic(run_dir / "report.html", render(run_dir))
