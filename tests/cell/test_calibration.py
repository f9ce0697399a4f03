"""Calibration's derived inputs: the time at a station, and CPU per request from a process tree's counters."""

import pytest

from asyncgap.cell.calibration import outside_ms, per_request_ms, waits


def measured(round_trip_ms: float, cpu_ms: float) -> dict:
    return {"round_trip_ms": round_trip_ms, "cpu_ms_alone": cpu_ms}


def test_hot_cpu_is_the_trees_cpu_less_its_idle_timers_over_the_requests_that_ended():
    # a 1.0 s burst: the tree used 0.52 s of CPU, of which its idle timers burn 0.02 s a second
    assert per_request_ms(0.52, idle_rate=0.02, elapsed_s=1.0, requests=1000) == pytest.approx(0.5)
    # the same CPU over twice the requests costs each half as much; the idle share grows with time
    assert per_request_ms(0.52, 0.02, 1.0, 2000) == pytest.approx(0.25)
    assert per_request_ms(0.52, 0.02, 2.0, 1000) == pytest.approx(0.48)


def test_hot_cpu_is_never_negative_and_needs_a_request():
    assert per_request_ms(0.01, idle_rate=0.02, elapsed_s=1.0, requests=10) == 0.0  # idle rate overestimated
    with pytest.raises(ValueError, match="no request"):
        per_request_ms(0.5, 0.0, 1.0, 0)


def test_what_a_call_spends_outside_the_server_is_judged_by_fast():
    assert outside_ms({"/fast": measured(0.3, 0.18)}) == 0.12
    assert outside_ms({}) == 0.0


def test_a_call_that_waits_on_the_databases_cpu_is_no_wait():
    # a 6.42 ms round trip of which 0.81 ms is the service's CPU and 5.95 ms the database's: busy all along
    assert not waits(6.42, 0.81, 5.95)
    assert waits(104.0, 1.9, 0.86)  # 101.2 ms with neither working: pg_sleep
    assert not waits(13.5, 13.3)  # CPU work: never idle
