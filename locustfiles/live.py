"""A live page in Locust's web UI: the service's event-loop lag and busy thread tokens per worker.

Locust shows what the client sees; this shows why. /asyncgap/live polls /asyncgap/live.json,
which reads the target's /metrics. A blocked event loop answers that scrape late too, and
the page says so: a stale reading is itself the symptom.
"""

import time

import requests
from locust import events
from prometheus_client.parser import text_string_to_metric_families

from core import names

SCRAPE_TIMEOUT_S = 2.0
GAUGES = {
    names.LOOP_LAG: "lag_s",
    names.TOKENS_BUSY: "tokens_busy",
    names.TOKENS_TOTAL: "tokens_total",
}

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>asyncgap live</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}td,th{padding:.3rem .8rem;text-align:right}
.bad{color:#b00}</style></head><body><h1>asyncgap: inside the service</h1>
<p>Target: <code id=host></code> · scraped in <span id=took></span> · <span id=err class=bad></span></p>
<table><thead><tr><th>worker pid</th><th>event-loop lag (worst of last 1 s)</th>
<th>busy thread tokens</th></tr></thead><tbody id=rows></tbody></table>
<p>Requests in flight (all workers): <b id=inflight></b></p>
<script>
async function tick() {
  const r = await fetch("live.json"); const d = await r.json();
  document.getElementById("host").textContent = d.host;
  document.getElementById("took").textContent = d.took_ms + " ms";
  document.getElementById("err").textContent = d.error || "";
  document.getElementById("inflight").textContent = d.in_flight ?? "-";
  document.getElementById("rows").innerHTML = Object.entries(d.workers).map(([pid, w]) =>
    `<tr><td>${pid}</td><td class="${w.lag_s > 0.05 ? "bad" : ""}">${(1000 * w.lag_s).toFixed(1)} ms</td>` +
    `<td>${w.tokens_busy} / ${w.tokens_total}</td></tr>`).join("");
}
tick(); setInterval(tick, 1000);
</script></body></html>"""


def read_live(host: str) -> dict:
    """Per-worker gauges and requests in flight from the target's /metrics."""
    started = time.monotonic()
    live: dict = {"host": host, "workers": {}, "in_flight": None, "error": None}
    try:
        text = requests.get(f"{host.rstrip('/')}/metrics", timeout=SCRAPE_TIMEOUT_S).text
    except requests.RequestException as exc:
        live["error"] = f"no answer from {host}/metrics: {type(exc).__name__}"
    else:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name in GAUGES:
                    worker = live["workers"].setdefault(sample.labels["worker"], {})
                    worker[GAUGES[sample.name]] = sample.value
                elif sample.name == names.REQUESTS_IN_FLIGHT:
                    live["in_flight"] = sample.value
    live["took_ms"] = round(1000 * (time.monotonic() - started))
    return live


@events.init.add_listener
def _add_live_page(environment, **_kwargs) -> None:
    web_ui = environment.web_ui
    if web_ui is None:
        return

    @web_ui.app.route("/asyncgap/live")
    @web_ui.auth_required_if_enabled
    def live_page() -> str:
        return PAGE

    @web_ui.app.route("/asyncgap/live.json")
    @web_ui.auth_required_if_enabled
    def live_json() -> dict:
        return read_live(environment.host or environment.parsed_options.host or "")
