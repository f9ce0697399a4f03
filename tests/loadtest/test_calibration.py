"""Calibration's derived inputs: the time at a station, and the CPU a busy server pays."""

from loadtest.calibration import busy_ms, outside_ms, waits


def measured(round_trip_ms: float, cpu_ms: float) -> dict:
    return {"round_trip_ms": round_trip_ms, "cpu_ms_alone": cpu_ms}


def test_a_call_that_waits_sheds_the_wake_it_paid_alone():
    assert busy_ms(measured(101.0, 0.8), wake_ms=0.55, floor_ms=0.2) == 0.25


def test_the_busy_cpu_never_falls_below_the_probes():
    assert busy_ms(measured(101.0, 0.4), wake_ms=0.55, floor_ms=0.2) == 0.2


def test_a_call_that_does_not_wait_keeps_its_cpu_alone():
    assert busy_ms(measured(13.5, 13.3), wake_ms=0.55, floor_ms=0.2) == 13.3  # CPU work: never idle
    assert busy_ms(measured(101.0, 0.8), wake_ms=None, floor_ms=0.2) == 0.8  # no /fast to measure it


def test_what_a_call_spends_outside_the_server_is_judged_by_fast():
    assert outside_ms({"/fast": measured(0.3, 0.18)}) == 0.12
    assert outside_ms({}) == 0.0



def with_db(round_trip_ms: float, cpu_ms: float, db_cpu_ms: float) -> dict:
    return {**measured(round_trip_ms, cpu_ms), "db_cpu_ms": db_cpu_ms}


def test_a_call_that_waits_on_the_databases_cpu_is_no_wait():
    # a 6.42 ms round trip of which 0.81 ms is the service's CPU and 5.95 ms the database's: busy all along
    assert not waits(6.42, 0.81, 5.95)
    assert busy_ms(with_db(6.42, 0.81, 5.95), wake_ms=0.44, floor_ms=0.18) == 0.81
    assert waits(104.0, 1.9, 0.86)  # 101.2 ms with neither working: pg_sleep
    assert busy_ms(with_db(104.0, 1.9, 0.86), wake_ms=0.44, floor_ms=0.18) == 1.46


def test_a_busy_cpu_measured_with_calls_in_flight_is_taken_as_measured():
    assert busy_ms({**with_db(104.0, 1.9, 0.86), "cpu_ms_busy": 0.52}, wake_ms=0.44, floor_ms=0.18) == 0.52
