"""summary.json + each cell's history and samples -> report.html, one self-contained file.

Plotly's JavaScript is embedded once, so the dashboard opens offline from disk.
"""

import html
import itertools
import json
from pathlib import Path

import plotly.graph_objects as go

from core.names import FAST
from core.variants import VARIANTS
from loadtest import blocking_view, databases_report, explain, model, results, supervision
from loadtest.files import write_atomic
from loadtest.records import CellResult, load_summary

COLLAPSE = 0.8  # a sweep whose last level serves less than this share of its peak is called out
COLORS = {"sync": "#4C78A8", "async": "#54A24B", "async-blocking": "#E45756"}
CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem} .meta{color:#666;font-size:.9rem} .warn{background:#fff3cd;padding:.6rem 1rem}
table{border-collapse:collapse;font-size:.85rem;margin:1rem 0}
td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:right}
td:nth-child(-n+3),th:nth-child(-n+3){text-align:left} .verdict{font-size:1.05rem;line-height:1.5}
.chart{margin:1rem 0}
"""


def _ok(cells: list[CellResult]) -> list[CellResult]:
    return [c for c in cells if c.ok]


def fast_p95(cell: CellResult) -> float | None:
    """The /fast probe's p95: its endpoint's, or a sweep level's (results.by_level)."""
    fast = cell.endpoint(FAST)
    if fast is not None:
        return fast.p95_ms
    return cell.levels[-1].fast_p95_ms if cell.levels else None


def _ratio(a: float, b: float) -> str:
    if not a or not b:
        return "n/a"
    return f"{a / b:,.0f}x" if a / b >= 10 else f"{a / b:,.1f}x"


def verdicts(cells: list[CellResult]) -> list[str]:
    """Plain words per scenario and setup, computed from the numbers: best variant first."""
    lines = []
    for scenario in dict.fromkeys(c.scenario for c in cells):
        for setup in dict.fromkeys(c.setup for c in cells if c.scenario == scenario):
            ranked = sorted(
                (c for c in _ok(cells) if c.scenario == scenario and c.setup == setup),
                key=lambda c: c.rps,
                reverse=True,
            )
            if len(ranked) < 2:
                continue
            best = ranked[0]
            served = ", ".join(
                f"{c.variant} {c.rps:,.1f} rps"
                + ("" if c is best else f" ({_ratio(best.rps, c.rps)} less)")
                for c in ranked
            )
            probe = ", ".join(
                f"{fast_p95(c):,.0f} ms under {c.variant}"
                for c in ranked
                if fast_p95(c) is not None
            )
            theory = ", ".join(
                f"{c.measured_over_predicted:.2f}" for c in ranked if c.measured_over_predicted
            )
            blocked = "; ".join(blocking_view.verdict(c) for c in ranked)
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
        if sweeps := _sweeps(cells, scenario, setup):
            words = "; ".join(_by_users(c) for c in sweeps)
            lines.append(f"<b>{html.escape(scenario)} on {html.escape(setup)}, by users</b>: {words}.")
    return lines


def _layout(fig: go.Figure, title: str, yaxis: str, log: bool = False) -> go.Figure:
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
        fig.update_yaxes(type="log", dtick=1)  # ticks at powers of ten only
    return fig


def throughput_chart(cells: list[CellResult], scenario: str) -> go.Figure:
    """Measured rps per setup x variant, with theory's prediction marked on each bar."""
    fig = go.Figure()
    for variant in VARIANTS:
        vc = [c for c in _ok(cells) if c.scenario == scenario and c.variant == variant]
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
    return _layout(fig, f"{scenario}: throughput (bars) and theory (black ticks)", "requests/s", log=True)


def latency_chart(cells: list[CellResult], scenario: str, endpoint: str | None, title: str) -> go.Figure:
    """p50/p95/p99 per cell, all requests or one endpoint's (log scale: the gap spans decades)."""
    fig = go.Figure()
    for variant in VARIANTS:
        vc = [c for c in _ok(cells) if c.scenario == scenario and c.variant == variant]
        figures = [c.endpoint(endpoint) if endpoint else c for c in vc]
        for pct, opacity in (("p50_ms", 1.0), ("p95_ms", 0.7), ("p99_ms", 0.45)):
            fig.add_bar(
                name=f"{variant} {pct[:3]}",
                x=[c.setup for c in vc],
                y=[getattr(f, pct, None) for f in figures],
                marker_color=COLORS[variant],
                opacity=opacity,
            )
    return _layout(fig, title, "milliseconds", log=True)


def _sweeps(cells: list[CellResult], scenario: str, setup: str) -> list[CellResult]:
    """The measured sweeps of one scenario on one setup, in the variants' order."""
    swept = [c for c in _ok(cells) if (c.scenario, c.setup) == (scenario, setup) and c.levels and c.model]
    return sorted(swept, key=lambda c: VARIANTS.index(c.variant))


def _model_users(cell: CellResult) -> list[int]:
    """Every number of users from 1 to a quarter past the sweep's last level: the model's curve."""
    return list(range(1, int(cell.levels[-1].users * 1.25) + 1))


LEVEL_HOVER = ("<b>%{fullData.legendgroup}</b>, %{x} users<br>measured %{y:,.1f} rps, predicted "
               "%{customdata[0]} (%{customdata[1]}x)<br>p50 %{customdata[2]} ms, p95 %{customdata[3]} ms, "
               "/fast p95 %{customdata[4]} ms<br>bound: %{customdata[5]}<extra></extra>")  # fmt: skip


def _level_numbers(cell: CellResult) -> list[list[str]]:
    """What hovering a measured level shows, formatted as the tables are."""
    return [[number(lv.predicted_rps, 1), number(lv.measured_over_predicted, 2), number(lv.p50_ms),
             number(lv.p95_ms), number(lv.fast_p95_ms), lv.bound or "-"] for lv in cell.levels]  # fmt: skip


def curve_chart(cells: list[CellResult], scenario: str, setup: str) -> go.Figure:
    """Throughput against users: each variant's measured levels (points), the model's curve made
    from the cell's calibration alone (dashed) and its knee (dotted), where users stop helping."""
    fig = go.Figure()
    sweeps = _sweeps(cells, scenario, setup)
    for c in sweeps:
        color, users = COLORS[c.variant], _model_users(c)
        fig.add_scatter(
            x=users, y=[m.predicted_rps for m in model.curve(c.model.inputs, users)], mode="lines",
            name=f"{c.variant} model", legendgroup=c.variant, line={"color": color, "dash": "dash"},
            hovertemplate=f"{c.variant} model: %{{x}} users, %{{y:,.1f}} rps<extra></extra>",
        )  # fmt: skip
        fig.add_scatter(
            x=[lv.users for lv in c.levels], y=[lv.rps for lv in c.levels], mode="lines+markers",
            name=f"{c.variant} measured", legendgroup=c.variant, line={"color": color, "width": 1},
            marker={"color": color, "size": 10}, customdata=_level_numbers(c), hovertemplate=LEVEL_HOVER,
        )  # fmt: skip
    rps = [r for c in sweeps for lv in c.levels for r in (lv.rps, lv.predicted_rps) if r]
    for row, c in enumerate(sweeps):
        knee = model.knee(c.model.inputs)
        if knee is None or not rps or not 1 <= knee.users <= c.levels[-1].users * 1.25:
            continue
        words, color = f"{c.variant}: {explain.knee_words(knee)}", COLORS[c.variant]
        low, high = min(rps) / 1.5, max(rps) * 1.5
        fig.add_scatter(
            x=[knee.users] * 3, y=[low, high / 2.5**row, high], mode="lines+text",  # labels one under another
            text=["", words, ""], textfont={"color": color}, showlegend=False,
            textposition="bottom left" if knee.users**2 > c.levels[-1].users else "bottom right",
            line={"color": color, "dash": "dot", "width": 1}, legendgroup=c.variant,
            hovertemplate=f"{words}<extra></extra>",
        )  # fmt: skip
    fig.update_xaxes(type="log", title="concurrent users (log)")
    title = f"{scenario} on {setup}: throughput against users (measured; dashed: the model; dotted: its knee)"
    return _layout(fig, title, "requests/s (log)", log=True)


def latency_curve_chart(cells: list[CellResult], scenario: str, setup: str) -> go.Figure:
    """Latency against users: each level's p50, p95 and /fast p95 beside the model's mean, N / X."""
    fig = go.Figure()
    for c in _sweeps(cells, scenario, setup):
        color, users = COLORS[c.variant], _model_users(c)
        curve = model.curve(c.model.inputs, users)
        fig.add_scatter(
            x=users, y=[model.latency_ms(n, m.predicted_rps) for n, m in zip(users, curve, strict=True)],
            mode="lines", name=f"{c.variant} model mean (N / X)", legendgroup=c.variant,
            line={"color": color, "dash": "dash"}, hovertemplate="%{x} users: %{y:,.1f} ms, the model's mean",
        )  # fmt: skip
        for key, label, symbol in (("p50_ms", "p50", "circle"), ("p95_ms", "p95", "circle-open"),
                                   ("fast_p95_ms", "/fast p95", "x")):  # fmt: skip
            fig.add_scatter(
                x=[lv.users for lv in c.levels], y=[getattr(lv, key) for lv in c.levels], mode="markers",
                name=f"{c.variant} {label}", legendgroup=c.variant,
                marker={"color": color, "symbol": symbol, "size": 9},
                hovertemplate=f"{c.variant}, %{{x}} users: {label} %{{y:,.1f}} ms<extra></extra>",
            )  # fmt: skip
    fig.update_xaxes(type="log", title="concurrent users (log)")
    title = f"{scenario} on {setup}: latency against users (measured; dashed: the model's mean)"
    return _layout(fig, title, "milliseconds (log)", log=True).update_layout(height=480, legend={"y": -0.3})


def _samples(run_dir: Path, cell: CellResult) -> list[dict]:
    path = run_dir / cell.folder / "samples.json"
    return json.loads(path.read_text()) if path.exists() else []


def timeline_chart(run_dir: Path, cells: list[CellResult], scenario: str) -> go.Figure:
    """Requests/s over the whole cell, warm-up included, as the server counted them (every 0.5 s)."""
    fig = go.Figure()
    for c in _ok(cells):
        if c.scenario != scenario:
            continue
        pairs = list(itertools.pairwise(_samples(run_dir, c)))
        fig.add_scatter(
            x=[b["t"] for _, b in pairs],
            y=[(b.get("requests", 0) - a.get("requests", 0)) / (b["t"] - a["t"]) for a, b in pairs],
            name=f"{c.setup} {c.variant}", mode="lines", line={"color": COLORS[c.variant]},
        )  # fmt: skip
    fig.update_xaxes(title="seconds since the swarm started")
    return _layout(fig, f"{scenario}: requests/s over time, counted by the server", "requests/s", log=True)


def lag_chart(run_dir: Path, cells: list[CellResult], scenario: str) -> go.Figure:
    fig = go.Figure()
    for c in _ok(cells):
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
    return _layout(fig, f"{scenario}: event-loop lag, worst worker (ms)", "milliseconds", log=True)


def _rps_known(cell: CellResult) -> str:
    """rps with its 95% interval from the steady seconds (repeats show their spread elsewhere)."""
    ci = cell.rps_ci95_pct
    if ci is None or cell.repeats > 1:
        return f"{cell.rps:,.1f}"
    return f"{cell.rps:,.1f} ±{ci:.1f}%"


def _table(cells: list[CellResult]) -> str:
    head = (
        "setup scenario variant users rps&nbsp;±95% predicted meas/pred even-split bound p50 p95 p99 "
        "/fast&nbsp;p95 failures connections generator report"
    ).split()
    rows = []
    for c in results.by_level(cells):  # a sweep: a row per level
        if not c.ok:
            cols = [c.setup, c.scenario, c.variant, c.users]
            reason = html.escape(c.reason or "")
            if c.error_file:
                reason += f" (<a href='{html.escape(c.error_file)}'>details</a>)"
            rows.append(
                "".join(f"<td>{html.escape(str(v))}</td>" for v in cols)
                + f"<td colspan=13 style='text-align:left;color:#b00'>failed: {reason}</td>"
            )
            continue
        busy = "-" if c.generator_cores_busy is None else f"{c.generator_cores_busy:.2f} core"
        gen = busy + (" ⚠ bound" if c.generator_bound else "")
        cols = [
            c.setup,
            c.scenario,
            c.variant,
            c.users,
            _rps_known(c),
            number(c.predicted_rps, 1),
            number(c.measured_over_predicted, 2),
            number(c.predicted_rps_even_split, 1),
            c.model.bound if c.model else "-",
            number(c.p50_ms),
            number(c.p95_ms),
            number(c.p99_ms),
            number(fast_p95(c)),
            c.failures,
            "/".join(map(str, c.connections_per_worker)),
            gen,
        ]
        report = c.locust_report
        link = f"<td><a href='{html.escape(report)}'>Locust</a></td>" if report else "<td></td>"
        rows.append("".join(f"<td>{html.escape(str(v))}</td>" for v in cols) + link)
        notes = {
            "theory": (explain.in_words(c.model), "#555") if c.model and not c.levels else ("", ""),  # curves
            "theory missed": (c.model.reason if c.model else "", "#b00"),
            "server": (supervision.describe(c.server_events), "#b00"),
            "failures": ("; ".join(f"{r.count} x {r.name}: {r.error}" for r in c.failure_reasons), "#b00"),
            "blocking": (blocking_view.words(c), "#555"),
        }
        for label, (text, color) in notes.items():
            if text:
                rows.append(f"<td colspan=3></td><td colspan=14 style='text-align:left;color:{color}'>"
                            f"{label}: {html.escape(text)}</td>")  # fmt: skip
    header = "".join(f"<th>{h}</th>" for h in head)
    return f"<table><tr>{header}</tr>" + "".join(f"<tr>{r}</tr>" for r in rows) + "</table>"


def number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


CURVES_NOTE = """<p>Each swept cell is one server and one swarm holding each level of users in turn,
each level's warm-up discarded. Points are measured; the dashed curve is the model, made before
the load from the cell's calibration alone; the dotted line is its knee, where the station that
binds first saturates: its servers (thread tokens, the event loop, cores) over the share of a
user's cycle that holds one. Past the knee, more users bring only latency.</p>"""


def render(run_dir: Path) -> str:
    summary = load_summary(run_dir)
    meta_path = run_dir / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    cells = results.merge_repeats(summary.cells)
    scenarios = list(dict.fromkeys(c.scenario for c in cells))
    swept = [(scenario, setup) for scenario in scenarios for setup in dict.fromkeys(c.setup for c in cells)
             if _sweeps(cells, scenario, setup)]  # fmt: skip
    curves = [draw(cells, *pair) for pair in swept for draw in (curve_chart, latency_curve_chart)]
    charts = [
        fig
        for scenario in scenarios
        for fig in (
            throughput_chart(cells, scenario),
            latency_chart(cells, scenario, None, f"{scenario}: latency of all requests (p50, p95, p99)"),
            latency_chart(cells, scenario, FAST, f"{scenario}: the /fast probe's latency (starvation)"),
            timeline_chart(run_dir, cells, scenario),
            lag_chart(run_dir, cells, scenario),
        )
    ]
    html_of = [fig.to_html(full_html=False, include_plotlyjs=i == 0, div_id=None)
               for i, fig in enumerate(curves + charts)]  # plotly.js once, in the first  # fmt: skip
    under = {id(fig): blocking_view.table([c for c in _ok(cells) if c.scenario == fig.layout.meta])
             for fig in charts if fig.layout.meta}  # the lag charts: who blocked the loop  # fmt: skip
    curves_html = "".join(f"<div class=chart>{c}</div>" for c in html_of[: len(curves)])
    by_users = f"<h2>Throughput against users</h2>{CURVES_NOTE}{curves_html}" if curves else ""
    warn = (
        ""
        if summary.complete
        else "<p class=warn>This run is incomplete: it was interrupted.</p>"
    )
    facts = (
        f"profile {meta.get('profile', '?')} · engine {meta.get('engine', 'local')} "
        f"({meta.get('generator_workers', 1)} Locust worker(s)) · started {meta.get('started_utc', '?')} · "
        f"{meta.get('cpu_count', '?')} CPUs · Python {meta.get('python', '?')} · "
        + " · ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items())
    )
    verdict = "".join(f"<li>{line}</li>" for line in verdicts(cells) + sweep_verdicts(cells))
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>asyncgap report</title>
<style>{CSS}</style></head><body>
<h1>asyncgap: blocking vs non-blocking FastAPI</h1><p class=meta>{html.escape(facts)}</p>{warn}
<h2>Verdict</h2><ul class=verdict>{verdict}</ul>
{by_users}
{databases_report.section(cells)}
<h2>Measured vs predicted</h2>
<p>Predicted before each cell's load, from its calibration alone (each endpoint's round trip, the
time it holds its declared station and its CPU, measured one request at a time on the idle server):
the smallest of the closed network's bounds, named in <i>bound</i> (users' connections, thread tokens,
the event loop, the process pool or CPU), with each worker's measured share of the connections;
<i>even-split</i> assumes the kernel spread them evenly. Where measured/predicted is outside ±10%,
the row says what the cell measured that theory did not expect. See the README's methodology.</p>
{_table(cells)}
<h2>Charts</h2>{"".join(f"<div class=chart>{c}</div>{under.get(id(fig), '')}"
                       for c, fig in zip(html_of[len(curves):], charts, strict=True))}
</body></html>"""


def write(run_dir: Path) -> Path:
    """Render and write report.html atomically; returns its path."""
    return write_atomic(run_dir / "report.html", render(run_dir))


VERDICT_COLORS = {"faster": "#54A24B", "slower": "#E45756", "not significant": "#9D9D9D"}


def _rps(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"


def write_compare(rows: list[dict], run_a: Path, run_b: Path, path: Path) -> Path:
    """compare.html: each cell's throughput change with its 95% interval, and the table."""
    measured = [r for r in rows if "rps_change" in r]
    labels = [f"{r['setup']} {r['scenario']} {r['variant']} {r['users']} users" for r in measured]
    fig = go.Figure(
        go.Bar(
            x=[r["rps_change"] * 100 for r in measured], y=labels, orientation="h",
            marker_color=[VERDICT_COLORS[r["verdict"]] for r in measured],
            error_x={"type": "data", "symmetric": False,
                     "array": [(r["ci_high"] - r["rps_change"]) * 100 for r in measured],
                     "arrayminus": [(r["rps_change"] - r["ci_low"]) * 100 for r in measured]},
            text=[r["verdict"] for r in measured], hovertemplate="%{y}: %{x:.1f}%<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(title="Throughput change from A to B, with 95% intervals (grey: not significant)",
                      xaxis_title="% change in requests/s", template="plotly_white",
                      height=140 + 28 * len(measured), margin={"l": 260})  # fmt: skip
    head = ["setup", "scenario", "variant", "users", "rps A", "rps B", "change", "95% interval", "p50", "p95",
            "samples", "verdict"]  # fmt: skip
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
            r["setup"], r["scenario"], r["variant"], r["users"], _rps(r.get("rps_a")),
            _rps(r.get("rps_b")), percent(r.get("rps_change")),
            f"{percent(r['ci_low'])} to {percent(r['ci_high'])}" if "ci_low" in r else "-",
            percent(r.get("p50_change")), percent(r.get("p95_change")), r.get("basis", "-"),
            r["verdict"])) + "</tr>"
        for r in rows
    )  # fmt: skip
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>asyncgap compare</title>
<style>{CSS}</style></head><body><h1>asyncgap: compare two runs</h1>
<p class=meta>A = {html.escape(str(run_a))} · B = {html.escape(str(run_b))}</p>
<p>A change is called faster or slower only when its 95% interval excludes zero. Intervals come from
the repeats (<code>--repeat K</code>) or, with one repeat, from the steady seconds of each cell,
which understates the noise between runs.</p>
<div class=chart>{fig.to_html(full_html=False, include_plotlyjs=True)}</div>
<table><tr>{"".join(f"<th>{h}</th>" for h in head)}</tr>{body}</table></body></html>"""
    return write_atomic(path, page)
