"""One calibration, many predictions: the uvicorn-1w cells' calibration predicts uvicorn-2w's, in
the order the measurement keeps (the tiny run's sleep cells, no load of its own)."""

import pytest

from asyncgap.bench.transfer import transferred
from asyncgap.core.records import load_summary

pytestmark = pytest.mark.e2e


def test_a_calibration_on_one_worker_predicts_two_workers_above_one(tiny_run):
    done, out = tiny_run
    assert done.returncode == 0, done.stderr[-2000:]
    cells = {(c.setup, c.variant): c for c in load_summary(out).cells}
    for variant in ("sync", "async-blocking"):  # bound by a worker's thread tokens, by its one loop
        one, two = cells["uvicorn-1w", variant], cells["uvicorn-2w", variant]
        assert one.ok and two.ok, (one.reason, two.reason)
        calibrated = one.model.inputs.endpoints
        predicted_two = transferred(calibrated, two, two.users, two.connections_per_worker)
        # Theory: twice the tokens or loops, less where the shared cores bind first (a busy machine).
        assert predicted_two > 1.2 * one.predicted_rps, variant
        assert two.rps > 1.2 * one.rps, variant  # and so it measured
        assert 0.7 < two.rps / predicted_two < 1.3, variant  # and near what the transfer said


def test_calibration_measures_the_backlog_that_40_thread_tokens_leave_of_100_users(tiny_run):
    done, out = tiny_run
    assert done.returncode == 0, done.stderr[-2000:]
    cell = next(c for c in load_summary(out).cells if (c.setup, c.variant) == ("uvicorn-1w", "sync"))
    sleep = cell.model.inputs.endpoints["/sync/sleep"]
    # 100 users in the burst, at most 40 inside their 100 ms sleep (one a token): 60 or more queued
    assert sleep.backlog_busy is not None and 50 <= sleep.backlog_busy <= 100, sleep
    assert sleep.cpu_ms_per_backlog is not None and sleep.cpu_ms_per_backlog >= 0, sleep
