"""--converge: a cell whose throughput settles ends its load early, judged by the same rule the
dashboard prints; the duration still caps it."""

import json

import pytest

from tests.cli import ONE_WORKER_SLEEP, asyncgap

pytestmark = pytest.mark.e2e

CAP_S = 30


def test_a_settled_cell_stops_early_within_its_target(tmp_path):
    out = tmp_path / "run"
    done = asyncgap(
        "run",
        *ONE_WORKER_SLEEP,
        "--variants",
        "async",
        "--duration",
        str(CAP_S),
        "--converge",
        "5",
        "--out",
        str(out),
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    (cell,) = json.loads((out / "summary.json").read_text())["cells"]
    assert cell["converge_pct"] == 5
    assert cell["rps_ci95_pct"] < 2 * 5  # from every second Locust kept, one more than it judged
    assert cell["timings"]["load_s"] < CAP_S - 5
    assert "converged: rps known within" in (out / cell["dir"] / "locust.log").read_text()
    assert f"±{cell['rps_ci95_pct']:.1f}%" in (out / "report.html").read_text()
