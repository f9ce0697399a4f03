"""The db-pg-wait scenario end to end: the harness starts its own PostgreSQL, and async wins there."""

import pytest

from asyncgap.core.records import load_summary
from tests.cli import asyncgap

pytestmark = pytest.mark.e2e

BLOCKING_GAP = 10  # sync over async-blocking: "much more" (measured 8 s cells: 535 vs 11.6 rps, 46x)


def test_db_pg_wait_orders_async_over_sync_far_over_async_blocking(tmp_path):
    out = tmp_path / "run"
    done = asyncgap(
        "run",
        "--setups",
        "uvicorn-1w",
        "--scenarios",
        "db-pg-wait",
        "--duration",
        "5",
        "--out",
        str(out),
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    cells = {c.variant: c for c in load_summary(out).cells}
    assert all(c.ok for c in cells.values()), [c.reason for c in cells.values()]
    rps = {variant: cell.rps for variant, cell in cells.items()}
    assert rps["async"] > rps["sync"] > BLOCKING_GAP * rps["async-blocking"], rps
    for cell in cells.values():  # predicted before the load, with the database's CPU in it
        assert cell.predicted_rps
        assert cell.model.inputs.endpoints[f"/{cell.variant}/query"].db_cpu_ms > 0
        assert cell.db_cpu_ms_per_request and cell.db_cpu_ms_per_request > 0
    assert cells["async"].model.inputs.db_connections == 100
