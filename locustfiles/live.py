"""A live page in Locust's web UI: each worker's event-loop lag, busy thread tokens and what blocks it.

Locust shows what the client sees; this shows why. /asyncgap/live polls /asyncgap/live.json.
With ASYNCGAP_METRICS_DIR set (`make ui` sets it to its server's folder), that reads the
workers' watch files (asyncgap/watch/watchfile.py) and Prometheus files from disk, so it keeps seeing a
blocked loop: the files are written by the watchdog's thread, not by the loop. Without it, it
falls back to scraping the target's /metrics, which a blocked loop answers late or not at all.
"""

import os
import time
from pathlib import Path

import requests
from locust import events
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from asyncgap.core import names
from asyncgap.watch import watchfile

SCRAPE_TIMEOUT_S = 2.0
STALE_S = 2.0  # a watch file older than this: its worker is gone or its watchdog stalled
GAUGES = {
    names.LOOP_LAG: "lag_s",
    names.TOKENS_BUSY: "tokens_busy",
    names.TOKENS_TOTAL: "tokens_total",
}

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>asyncgap live</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}td,th{padding:.3rem .8rem;text-align:right}
td.site{text-align:left;font-family:monospace}.bad{color:#b00}</style></head><body>
<h1>asyncgap: inside the service</h1>
<p>Target: <code id=host></code> · read from <span id=source></span> in <span id=took></span> ·
<span id=err class=bad></span></p>
<table><thead><tr><th>worker pid</th><th>event-loop lag (worst of last 1 s)</th>
<th>busy thread tokens</th><th>loop blocked by (since the last poll)</th></tr></thead>
<tbody id=rows></tbody></table>
<p>Requests in flight (all workers): <b id=inflight></b></p>
<script>
const esc = s => { const e = document.createElement("i"); e.textContent = s ?? ""; return e.innerHTML; };
async function tick() {
  const r = await fetch("live.json"); const d = await r.json();
  document.getElementById("host").textContent = d.host;
  document.getElementById("source").textContent = d.source;
  document.getElementById("took").textContent = d.took_ms + " ms";
  document.getElementById("err").textContent = d.error || "";
  document.getElementById("inflight").textContent = d.in_flight ?? "-";
  document.getElementById("rows").innerHTML = Object.entries(d.workers).map(([pid, w]) =>
    `<tr><td>${esc(pid)}</td><td class="lag ${w.lag_s > 0.05 ? "bad" : ""}">` +
    `${(1000 * w.lag_s).toFixed(1)} ms</td><td>${w.tokens_busy ?? "-"} / ${w.tokens_total ?? "-"}</td>` +
    `<td class=site>${esc(w.blocked_by ?? "-")}${w.stale ? " <span class=bad>(stale)</span>" : ""}</td></tr>`
  ).join("");
}
tick(); setInterval(tick, 1000);
</script></body></html>"""


def read_live(host: str, metrics_dir: Path | None = None) -> dict:
    """Per-worker lag, busy tokens and (from files) what blocks the loop, and requests in flight."""
    started = time.monotonic()
    live: dict = {"host": host, "workers": {}, "in_flight": None, "error": None}
    if metrics_dir is None:
        live["source"] = "/metrics"
        _scrape(host, live)
    else:
        live["source"] = "files"
        _read_files(metrics_dir, live)
    live["took_ms"] = round(1000 * (time.monotonic() - started))
    return live


def _scrape(host: str, live: dict) -> None:
    try:
        text = requests.get(f"{host.rstrip('/')}/metrics", timeout=SCRAPE_TIMEOUT_S).text
    except requests.RequestException as exc:
        live["error"] = f"no answer from {host}/metrics: {type(exc).__name__}"
        return
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in GAUGES:
                worker = live["workers"].setdefault(sample.labels["worker"], {})
                worker[GAUGES[sample.name]] = sample.value
            elif sample.name == names.REQUESTS_IN_FLIGHT:
                live["in_flight"] = sample.value


_previous: dict[str, watchfile.Watch] = {}  # pid -> the last reading: "since the last poll" diffs it


def _read_files(metrics_dir: Path, live: dict) -> None:
    try:
        watches = watchfile.read_all(metrics_dir)
    except (watchfile.WatchFileError, OSError) as exc:
        live["error"] = f"cannot read the watch files: {exc}"
        return
    if not watches:
        live["error"] = f"no watch file in {metrics_dir} (is the target instrumented and watched?)"
    now = time.time()
    for pid, watch in watches.items():
        live["workers"][pid] = {
            "lag_s": watch.lag_s,
            "tokens_busy": watch.tokens_busy,
            "tokens_total": watch.tokens_total,
            "blocked_by": recent_top(watch, _previous.get(pid)) or "not blocked",
            "stale": now - watch.written_at > STALE_S,
        }
        _previous[pid] = watch
    try:
        for family in MultiProcessCollector(None, path=str(metrics_dir)).collect():
            for sample in family.samples:
                if sample.name == names.REQUESTS_IN_FLIGHT:
                    live["in_flight"] = sample.value
    except (OSError, ValueError):
        pass  # the page still has the watch files' figures


def recent_top(now: watchfile.Watch, before: watchfile.Watch | None) -> str | None:
    """The call site that blocked the loop most since `before`, with its share of that time;
    the one blocking it right now if none; None if the loop was not blocked."""
    if before is not None and now.watching_s > before.watching_s:
        grown = {
            f"{callee} <- {site}": seconds - before.loop.get(callee, {}).get(site, 0.0)
            for callee, sites in now.loop.items()
            for site, seconds in sites.items()
        }
        site, seconds = max(grown.items(), key=lambda kv: kv[1], default=("", 0.0))
        if seconds > 0:
            span = now.watching_s - before.watching_s
            return f"{site} ({min(1.0, seconds / span):.0%} of the last {span:.1f} s)"
    return now.blocked_now or None


@events.init.add_listener
def _add_live_page(environment, **_kwargs) -> None:
    web_ui = environment.web_ui
    if web_ui is None:
        return
    metrics_dir = os.environ.get("ASYNCGAP_METRICS_DIR")

    @web_ui.app.route("/asyncgap/live")
    @web_ui.auth_required_if_enabled
    def live_page() -> str:
        return PAGE

    @web_ui.app.route("/asyncgap/live.json")
    @web_ui.auth_required_if_enabled
    def live_json() -> dict:
        host = environment.host or environment.parsed_options.host or ""
        return read_live(host, Path(metrics_dir) if metrics_dir else None)
