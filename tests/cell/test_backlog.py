"""CPU per request that grows with a worker's backlog: the two bursts' slope (calibration) and the
cpu bound it gives (the model), against hand-derived values."""

import pytest

from asyncgap.cell import explain, model
from asyncgap.cell.calibration import BACKLOG_MIN, backlog_slope
from asyncgap.cell.model import Server, held_past_wait, predict
from asyncgap.core.prediction import EndpointCalibration

UPSTREAM_MS, CPU_MS, SLOPE = (
    100.0,
    1.3,
    0.1,
)  # a 100 ms call costing 1.3 ms of CPU, 0.1 ms more a request backlogged
WAIT_S = 0.9 * (UPSTREAM_MS - CPU_MS) / 1000  # W: 90% of the calls wait; /fast is all CPU


def upstream_mix(slope: float | None, burst_backlog: float = 90.0) -> dict[str, EndpointCalibration]:
    """9 awaited upstream calls to 1 /fast probe, the calls' CPU measured at `burst_backlog`."""
    busy = CPU_MS + (slope or 0.0) * burst_backlog
    return {
        "/async/upstream": EndpointCalibration(
            method="GET",
            station="delay",
            share=0.9,
            round_trip_ms=UPSTREAM_MS,
            service_ms=UPSTREAM_MS,
            cpu_ms_alone=CPU_MS,
            cpu_ms_busy=busy,
            backlog_busy=burst_backlog if slope is not None else None,
            cpu_ms_per_backlog=slope,
        ),
        "/fast": EndpointCalibration(
            method="GET",
            station="loop",
            share=0.1,
            round_trip_ms=0.2,
            service_ms=0.2,
            cpu_ms_alone=0.2,
            cpu_ms_busy=0.2,
        ),
    }


def test_a_bursts_backlog_is_its_users_less_those_inside_their_wait_per_worker():
    assert held_past_wait(100, rps=100.0, wait_s=0.1, workers=1) == pytest.approx(
        90.0
    )  # 10 of 100 in their wait
    assert held_past_wait(100, rps=100.0, wait_s=0.1, workers=2) == pytest.approx(45.0)
    assert held_past_wait(25, rps=260.0, wait_s=0.1, workers=1) == 0.0  # all inside their wait: none queued


def test_the_slope_is_the_cpu_that_grew_over_the_backlog_that_grew():
    assert backlog_slope((0.0, 1.3), (90.0, 10.3)) == pytest.approx(0.1)


def test_no_slope_from_bursts_whose_backlogs_hardly_differ():
    assert backlog_slope((1.0, 1.3), (1.0 + BACKLOG_MIN / 2, 9.0)) is None


def test_a_request_cheaper_when_backlogged_has_no_slope_and_none_steeper_than_its_own_cost():
    assert backlog_slope((0.0, 2.0), (60.0, 1.5)) == 0.0  # batching: the hot figure holds it already
    assert backlog_slope((50.0, 0.5), (60.0, 6.0)) == pytest.approx(6.0 / 60.0)  # not 0.55: no negative cost


def test_without_a_slope_the_cpu_bound_is_cores_over_the_cpu_per_request():
    got = predict(upstream_mix(None), 100, Server(workers=1))
    cpu_s = (0.9 * CPU_MS + 0.1 * 0.2) / 1000
    assert got.bounds_rps["cpu"] == pytest.approx(1 / cpu_s, rel=1e-3)


def test_with_a_slope_few_users_keep_up_and_many_collapse_to_the_lower_root():
    mix = upstream_mix(SLOPE)
    few, many = predict(mix, 30, Server(workers=1)), predict(mix, 100, Server(workers=1))
    assert few.bound == "connections"  # X (a + K B(X)) never reaches a core at 30 users
    assert many.bound == "cpu"
    x = many.predicted_rps
    a, k = (0.9 * CPU_MS + 0.1 * 0.2) / 1000, 0.9 * SLOPE / 1000
    assert x * (a + k * (100 - x * WAIT_S)) == pytest.approx(1.0, rel=1e-3)  # the core saturated at X ...
    assert x < 150  # ... at the lower of the parabola's two roots, not the upper (near 700)
    assert model.predicted_cpu_ms(many) == pytest.approx(1000 / x, rel=1e-3)  # a core's worth of CPU at X


def test_two_workers_share_the_backlog_so_each_request_costs_less():
    mix = upstream_mix(SLOPE)
    one, two = (predict(mix, 100, Server(workers=w)) for w in (1, 2))
    assert two.bound == one.bound == "cpu"
    assert two.predicted_rps > 1.5 * one.predicted_rps
    assert model.backlog(two.inputs, two.predicted_rps) < model.backlog(one.inputs, one.predicted_rps)


def test_the_bound_in_words_names_the_backlog():
    got = predict(upstream_mix(SLOPE), 100, Server(workers=1))
    words = explain.in_words(got)
    assert "requests backlogged a worker" in words
    assert f"{model.predicted_cpu_ms(got):.2f} ms a request" in words


@pytest.mark.parametrize(("held", "words"), [(1.2, "1 request"), (0.4, "0 requests"), (41.0, "41 requests")])
def test_the_backlog_in_words_counts_requests(monkeypatch, held, words):
    monkeypatch.setattr(explain, "backlog", lambda inputs, rps: held)
    assert explain._backlogged(predict(upstream_mix(SLOPE), 100, Server(workers=1))) == (
        f" with {words} backlogged a worker"
    )
