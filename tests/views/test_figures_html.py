"""Figures in a small page: plotly.js once, packed; each figure's JSON without the shared template."""

import base64
import gzip
import json
import re

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from asyncgap.views import figures_html
from asyncgap.views.charts import has_data, layout


def figure(title: str) -> go.Figure:
    return layout(go.Figure(go.Bar(x=["a"], y=[1.0])), title, "requests/s")


def test_the_packed_library_is_plotly_js_and_the_same_on_every_render():
    page = figures_html.library()
    packed = re.search(r'<script type="text/plain" id="plotlyjs">([^<]+)</script>', page).group(1)
    assert gzip.decompress(base64.b64decode(packed)).decode() == get_plotlyjs()
    assert figures_html.library() == page
    assert len(page) < len(get_plotlyjs()) / 2


def test_each_figure_is_a_div_and_its_json_without_the_template_the_page_holds_once():
    divs = figures_html.divs([figure("one"), figure("two </script><b>")])
    specs = [
        json.loads(m) for d in divs for m in re.findall(r'class="figure" data-div="[^"]+">(.*?)</script>', d)
    ]
    assert [s["layout"]["title"]["text"] for s in specs] == ["one", "two </script><b>"]
    assert all("template" not in s["layout"] for s in specs)
    assert 'id="figure-1" class="plotly-graph-div" style="height:380px' in divs[1]
    assert figures_html.library().count('id="plotly-template"') == 1


def test_series_keep_six_significant_digits():
    fig = figure("rates")
    fig.add_scatter(x=[0.001, 0.5451234567], y=[4.000000000019099, 1234567.891])
    (div,) = figures_html.divs([fig])
    assert '"x":[0.001,0.545123],"y":[4.0,1234570.0]' in div


def test_a_log_axis_spans_whole_decades_so_values_within_one_still_get_ticks_and_bars():
    def decades(*values: float) -> list[int]:
        return list(
            layout(
                go.Figure(go.Bar(x=list("abc")[: len(values)], y=values)), "t", "r", log=True
            ).layout.yaxis.range
        )

    assert decades(449.3, 572.3) == [2, 3]  # within one decade: from 100, not from about 440
    assert decades(10.6, 1095.8) == [0, 4]  # async-blocking's 10.6 rps a bar, not a line on 10
    assert decades(70.1, 73.3) == [1, 2]
    assert decades(1000.0) == [2, 4]  # a value on a power of ten is drawn on neither edge
    assert layout(go.Figure(go.Bar(x=["a"], y=[None])), "t", "r", log=True).layout.yaxis.range is None


def test_a_chart_has_data_when_a_trace_has_a_value_above_zero():
    assert has_data(figure("one"))
    assert not has_data(go.Figure(go.Bar(x=["a"], y=[None])))
    assert not has_data(go.Figure(go.Scatter(x=[1, 2], y=[0, 0])))  # a counter the app does not keep
