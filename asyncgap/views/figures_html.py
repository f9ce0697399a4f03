"""Plotly figures in a self-contained page that stays small: plotly.js is 4.8 MB, over nine tenths of
a dashboard, so it is embedded once, gzip-compressed (about 2 MB in base64; the browser's
DecompressionStream unpacks it, offline, from disk), and each figure is a div and its JSON, without
the 7 kB template plotly would repeat in each: the template is embedded once too."""

import base64
import gzip
import json
from functools import cache

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

TEMPLATE = "plotly_white"

LOADER = """<script>
(async () => {
  if (!window.DecompressionStream) {
    for (const div of document.querySelectorAll(".plotly-graph-div")) {
      div.textContent = "This browser cannot unpack the charts (Chrome 80, Firefox 113, Safari 16.4 can).";
    }
    return;
  }
  const base64 = document.getElementById("plotlyjs").textContent;
  const packed = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const library = new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip"));
  const code = document.createElement("script");
  code.textContent = await new Response(library).text();
  document.head.appendChild(code);
  const template = JSON.parse(document.getElementById("plotly-template").textContent);
  for (const holder of document.querySelectorAll("script.figure")) {
    const figure = JSON.parse(holder.textContent);
    figure.layout.template = template;
    Plotly.newPlot(holder.dataset.div, figure.data, figure.layout, {responsive: true});
  }
})();
</script>"""


def _rounded(value: object) -> object:
    """Floats to 6 significant digits, finer than any chart draws: a sampled rate's
    4.000000000019099 costs 17 characters where 4 will do."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _json(value: object) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


@cache
def _packed_library() -> str:
    """plotly.js, gzip-compressed and in base64 (mtime 0: the same bytes on every render)."""
    return base64.b64encode(gzip.compress(get_plotlyjs().encode(), 9, mtime=0)).decode()


def divs(figures: list[go.Figure]) -> list[str]:
    """Each figure's div and its JSON, drawn by `library()` once the page has loaded."""
    out = []
    for i, fig in enumerate(figures):
        spec = _rounded(json.loads(fig.to_json()))
        spec["layout"].pop("template", None)
        height = spec["layout"].get("height", 450)
        out.append(
            f'<div id="figure-{i}" class="plotly-graph-div" style="height:{height}px;width:100%"></div>'
            f'<script type="application/json" class="figure" data-div="figure-{i}">{_json(spec)}</script>'
        )
    return out


def library() -> str:
    """plotly.js packed, the shared template and the loader that draws every figure: once, after them."""
    template = pio.templates[TEMPLATE].to_plotly_json()
    return (
        f'<script type="text/plain" id="plotlyjs">{_packed_library()}</script>'
        f'<script type="application/json" id="plotly-template">{_json(template)}</script>{LOADER}'
    )
