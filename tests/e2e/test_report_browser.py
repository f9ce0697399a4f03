"""The dashboard in a real browser: it opens offline, draws every chart, logs no error."""

import re
import shutil
import subprocess

import pytest

from core.matrix import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def report(tiny_run):
    if shutil.which("chromium") is None:
        pytest.fail("chromium is missing: `make test` installs it (scripts/ensure-debian-packages.sh)")
    _, out = tiny_run
    return out / "report.html"


def test_charts_are_drawn_without_console_errors(report):
    done = subprocess.run(
        [*CHROMIUM, "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom",
         report.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-1000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []
    charts = report.read_text().count('class="plotly-graph-div"')
    drawn = len(re.findall(r'class="plotly-graph-div[^"]*js-plotly-plot', done.stdout))
    assert charts >= 5
    assert drawn == charts


def test_screenshot(report, tmp_path):
    png = tmp_path / "report.png"
    subprocess.run([ROOT / "scripts/screenshot-report.sh", report.parent, png], check=True, timeout=180)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000  # a blank page compresses to a few kB
