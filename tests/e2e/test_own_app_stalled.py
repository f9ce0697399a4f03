"""`asyncgap run --app` on an app whose `async def` route blocks the loop with time.sleep
(tests/apps/stalled.py): its routes say both of its routes are awaited, and calibration's reading
of the watchdog says which one holds the loop, so the prediction made before the load is the
loop's bound, not the users' ten times higher."""

import pytest

from asyncgap.core.records import load_summary
from tests.apps.stalled import WAIT_S
from tests.cli import asyncgap_app

pytestmark = pytest.mark.e2e

USERS = 20


def test_an_async_route_that_blocks_the_loop_is_predicted_at_the_loop_before_the_load(tmp_path):
    out = tmp_path / "run"
    args = ("--setups", "uvicorn-1w", "--users", USERS, "--duration", 4, "--out", out)
    done = asyncgap_app(tmp_path, "tests.apps.stalled:app", *args)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = load_summary(out)
    routes = summary.app.routes
    assert (routes["/legacy"].station, routes["/ready"].station) == ("delay", "delay")
    (cell,) = summary.cells
    calibrated = cell.model.inputs.endpoints
    assert (calibrated["/legacy"].station, calibrated["/ready"].station) == ("loop", "delay")
    assert calibrated["/legacy"].loop_blocked_ms > 0.8 * WAIT_S * 1000
    # half the requests hold the one loop WAIT_S each: 1 / (0.5 x 50 ms) = 40 rps, where 20
    # users of 50 ms calls would send 400
    assert cell.model.bound == "loop"
    assert 30 < cell.predicted_rps < 45, cell.model.bounds_rps
    assert cell.rps < cell.model.bounds_rps["connections"] / 4, (cell.rps, cell.model.bounds_rps)
    # the route that holds the loop ran at the loop's pace: one call at a time
    legacy = cell.endpoints["/legacy"].rps
    assert 0.7 < legacy * calibrated["/legacy"].service_ms / 1000 < 1.1, (legacy, calibrated["/legacy"])
    assert cell.blocking[0].callee == "time.sleep" and cell.blocking[0].site.endswith(" legacy")
