"""The dashboard in a real browser: it opens offline, draws every chart and the verdict's tables,
logs no error, and stays small."""

import re
import shutil
import subprocess

import pytest

from tests.paths import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def report(tiny_run):
    if shutil.which("chromium") is None:
        pytest.fail("chromium is missing: `make test` installs it (scripts/ensure-debian-packages.sh)")
    _, out = tiny_run
    return out / "report.html"


# plotly.js packed is 1.96 MB; a short run's tables and figures add under 0.05 MB. Inlined plain,
# plotly.js alone was 4.8 MB, and each figure carried its own 7 kB template.
MAX_BYTES = 2_500_000


@pytest.fixture(scope="module")
def dom(report) -> str:
    done = subprocess.run(
        [
            *CHROMIUM,
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-1000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    return done.stdout


def test_charts_are_drawn_without_console_errors(report, dom):
    charts = report.read_text().count('class="plotly-graph-div"')
    drawn = len(re.findall(r'class="plotly-graph-div[^"]*js-plotly-plot', dom))
    assert charts >= 5
    assert drawn == charts


def test_the_verdict_is_a_ranked_table_with_the_sentences_folded(dom):
    """The tiny run is one scenario on two setups: a table, a block of ranked variants per setup."""
    (glance,) = re.findall(r"<table class=\"?glance\"?>(.*?)</table>", dom, re.S)
    ranks = re.findall(r"<tr><td>[^<]*</td><td>(\d+)</td>", glance)
    assert ranks == ["1", "2", "3"] * 2
    assert glance.count("<td>best</td>") == 2
    assert re.search(r"<td>[\d.,]+x</td>", glance)
    assert re.search(r"<details><summary>The verdict in sentences</summary><ul class=\"?verdict", dom)


def test_the_page_stays_small(report):
    assert report.stat().st_size < MAX_BYTES


def test_screenshot(report, tmp_path):
    png = tmp_path / "report.png"
    subprocess.run([ROOT / "scripts/screenshot-report.sh", report.parent, png], check=True, timeout=180)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000  # a blank page compresses to a few kB
