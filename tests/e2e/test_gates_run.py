"""A real run with gates: one threshold passes and one fails, so the run exits 99; the failure
on async-blocking names the call that blocked the loop (time.sleep in the sleep route), in
summary.json, the console, the JUnit file and beside its cell on the dashboard. The cells
carry exact percentiles beside Locust's."""

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from asyncgap.cell import exact
from asyncgap.core.records import load_summary
from tests.cli import ONE_WORKER_SLEEP, asyncgap

pytestmark = pytest.mark.e2e

CELLS = [
    *ONE_WORKER_SLEEP,
    "--variants",
    "async,async-blocking",
    "--duration",
    "5",
]
GATES = ["--threshold", "fail_ratio<0.01", "--threshold", "loop_blocked_share<0.05"]


@pytest.fixture(scope="module")
def gated_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path, Path]:
    out = tmp_path_factory.mktemp("gates") / "run"
    junit = out.parent / "ci" / "junit.xml"
    done = asyncgap("run", *CELLS, *GATES, "--junit", str(junit), "--out", str(out), timeout=240)
    return done, out, junit


def test_a_failed_threshold_exits_99_and_names_the_blocking_call(gated_run):
    done, out, _ = gated_run
    assert done.returncode == 99, done.stdout[-3000:] + done.stderr[-2000:]
    summary = load_summary(out)
    assert all(c.ok for c in summary.cells)
    verdicts = {(r.cell, r.expr): r for r in summary.thresholds}
    assert set(verdicts) == {
        (cell, expr)
        for cell in ("uvicorn-1w__sleep__async", "uvicorn-1w__sleep__async-blocking")
        for expr in ("fail_ratio<0.01", "loop_blocked_share<0.05")
    }
    assert verdicts[("uvicorn-1w__sleep__async", "loop_blocked_share<0.05")].passed
    assert verdicts[("uvicorn-1w__sleep__async-blocking", "fail_ratio<0.01")].passed
    blocked = verdicts[("uvicorn-1w__sleep__async-blocking", "loop_blocked_share<0.05")]
    assert not blocked.passed and blocked.value > 0.5
    assert "time.sleep called from service/routes/sleep.py:" in blocked.note
    assert "thresholds: 3 passed, 1 failed" in done.stdout


def test_the_junit_file_has_a_case_per_cell_and_threshold(gated_run):
    _, _, junit = gated_run
    suites = {s.get("name"): s for s in ET.parse(junit).getroot().iter("testsuite")}
    assert (suites["cells"].get("tests"), suites["cells"].get("failures")) == ("2", "0")
    assert (suites["thresholds"].get("tests"), suites["thresholds"].get("failures")) == ("4", "1")
    [failed] = [c for c in suites["thresholds"].iter("testcase") if c.find("failure") is not None]
    assert failed.get("classname") == "asyncgap.thresholds.uvicorn-1w__sleep__async-blocking"
    assert failed.get("name") == "loop_blocked_share<0.05"
    assert "service/routes/sleep.py:" in failed.find("failure").get("message")


def test_the_dashboard_marks_the_failed_threshold_beside_its_cell(gated_run):
    _, out, _ = gated_run
    page = (out / "report.html").read_text()
    assert "thresholds failed: loop_blocked_share&lt;0.05 (loop_blocked_share" in page
    assert page.count("thresholds failed:") == 1
    assert page.count("class=threshold-failed") == 1 and page.count("class=threshold-passed") == 3


def test_exact_percentiles_sit_beside_locusts(gated_run):
    """Present for the cell and for each endpoint the measured window saw, and in order. Locust's
    own cover a longer window (the partial first and last seconds too: on the async-blocking
    cell's few dozen requests that alone moves its p95 by a second, and a /fast request that got
    through the blocked loop only in a partial second has none in the window), so only an
    ordering is robust here; exactness against Locust's unrounded values is
    tests/e2e/test_exact_latency.py's."""
    _, out, _ = gated_run
    cells = load_summary(out).cells
    for cell in cells:
        assert cell.p95_ms_exact is not None and cell.p999_ms_exact >= cell.p99_ms_exact >= cell.p95_ms_exact
        cell_dir = out / cell.dir
        in_window = exact.figures(exact.read(cell_dir), exact.steady_window(cell_dir)).endpoints
        for name, endpoint in cell.endpoints.items():
            seen = name in in_window and in_window[name].requests > 0
            assert (endpoint.p95_ms_exact is not None) == seen, name
    [many] = [c for c in cells if c.variant == "async"]
    assert many.requests > 1000
    assert all(endpoint.p95_ms_exact is not None for endpoint in many.endpoints.values())
    assert many.p50_ms - locust_step(many.p50_ms) / 2 <= many.p95_ms_exact
    assert many.p95_ms_exact <= many.p99_ms + locust_step(many.p99_ms) / 2  # 101.95 exact vs Locust's 100


def locust_step(ms: float) -> float:
    """Locust keeps response times to two significant digits from 100 ms up (101.95 counts as 100):
    the width of the bucket its percentile names."""
    return 1.0 if ms < 100 else 10.0 ** (len(str(int(ms))) - 2)
