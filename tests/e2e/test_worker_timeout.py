"""gunicorn kills a UvicornWorker whose event loop stays blocked past its --timeout and boots a
new one: the cell keeps its figures, and the dashboard shows the failed requests and why."""

import pytest

from asyncgap.cell.context import Cores, RunContext
from asyncgap.cell.drive import run_cell
from asyncgap.cell.plan import Cell
from asyncgap.core import matrix
from asyncgap.core.records import RunSummary
from asyncgap.views import report
from tests.paths import demo_matrix_text

pytestmark = pytest.mark.e2e

TIMEOUT_S = 4  # gunicorn's --timeout for this test (matrix.toml: 30)
WORK_MS = 300  # the URL check's 5 calls in a row take ~1.5 s: well inside it


@pytest.fixture
def blocking_matrix(tmp_path, monkeypatch) -> matrix.Matrix:
    """matrix.toml with a short gunicorn timeout and 300 ms blocking calls, for the harness
    and for `service.serve` (which reads the file named by ASYNCGAP_MATRIX).

    uvicorn looks whether gunicorn's heartbeat is due (half the timeout since the last) only
    on every tenth tick of its 0.1 s timer. 20 users on 2 workers queue ~10 calls per loop:
    each tick then waits ~3 s behind them, and the next look comes far past the timeout.
    """
    text = demo_matrix_text()
    text = text.replace("timeout_s = 30", f"timeout_s = {TIMEOUT_S}", 1)
    text = text.replace("work_ms = 100", f"work_ms = {WORK_MS}", 1)  # the sleep scenario's
    path = tmp_path / "matrix.toml"
    path.write_text(text)
    monkeypatch.setenv(matrix.MATRIX_ENV, str(path))
    loaded = matrix.load()
    assert loaded.setups["gunicorn-2w"].timeout_s == TIMEOUT_S
    assert loaded.scenarios["sleep"].work_ms == WORK_MS
    return loaded


def test_a_worker_blocked_past_the_timeout_is_replaced_and_the_dashboard_says_so(tmp_path, blocking_matrix):
    out = tmp_path / "run"
    cell = Cell("gunicorn-2w", "sleep", "async-blocking", users=20, duration_s=10, warmup_s=1)
    result = run_cell(cell, RunContext(blocking_matrix, out, tmp_path, "http://127.0.0.1:9", Cores.split()))

    assert result.ok, result.reason
    assert result.failures > 0
    assert any("no response: HTTPConnectionClosed" in r.error for r in result.failure_reasons)
    events = {e.event: e.count for e in result.server_events}
    killed = f"gunicorn killed a worker whose event loop was blocked past its {TIMEOUT_S} s timeout"
    assert events.get(killed, 0) >= 1, result.server_events
    assert events.get("gunicorn booted a replacement worker", 0) >= 1, result.server_events

    RunSummary(cells=[result]).save(out)
    dashboard = report.write(out).read_text()
    assert f"server: {events[killed]} x {killed}" in dashboard
    assert "failures: " in dashboard
