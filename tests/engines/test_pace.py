"""pace: the timer of the server's cores, its log's totals, and the pace between two readings."""

import os
import threading
import time

import psutil
import pytest

from asyncgap.engines import pace
from asyncgap.engines.pace import Totals


def test_the_pace_is_cpu_per_unit_between_two_readings():
    assert pace.pace_ms(Totals(10, 0.010), Totals(30, 0.050)) == pytest.approx(2.0)
    assert pace.pace_ms(Totals(10, 0.010), Totals(10, 0.010)) is None  # no unit timed between
    assert pace.pace_ms(None, Totals(10, 0.010)) is None
    assert pace.pace_ms(Totals(10, 0.010), None) is None


def test_read_takes_the_last_line_written_whole(tmp_path):
    log = tmp_path / "pace.log"
    assert pace.read(None) is None
    assert pace.read(log) is None  # the timer has not started yet
    log.write_text("1 500000\n2 1100")  # the second line still being written
    assert pace.read(log) == Totals(1, 0.0005)
    log.write_text("1 500000\n2 1100000\n")
    assert pace.read(log) == Totals(2, 0.0011)
    log.write_text("1 5000")
    assert pace.read(log) is None


def test_read_after_waits_for_a_unit_timed_since_a_reading(tmp_path):
    """A batch shorter than the timer's period still gets the pace of the unit timed next."""
    log = tmp_path / "pace.log"
    log.write_text("1 500000\n")
    since = pace.read(log)
    assert pace.read_after(log, since, within_s=0.05) == since  # none came: the latest, in time
    later = threading.Timer(0.05, lambda: log.write_text("1 500000\n2 1100000\n"))
    later.start()
    assert pace.read_after(log, since, within_s=5.0) == Totals(2, 0.0011)  # waited for it
    later.join()
    assert pace.read_after(None, since) is None


def test_the_totals_are_found_at_the_end_of_a_long_log(tmp_path):
    log = tmp_path / "pace.log"
    log.write_text("".join(f"{n} {n * 700_000}\n" for n in range(1, 20_001)))
    assert pace.read(log) == Totals(20_000, 14.0)


def test_the_timer_runs_on_the_given_cpus_and_stops_with_its_block(tmp_path):
    cpu = min(os.sched_getaffinity(0))
    with pace.timing(tmp_path / "pace.log", {cpu}) as log:
        deadline = time.monotonic() + 10
        while (pace.read(log) or Totals(0, 0.0)).units < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        timers = [p for p in psutil.Process().children() if "asyncgap.engines.pace" in p.cmdline()]
        assert [p.cpu_affinity() for p in timers] == [[cpu]]
        first = pace.read(log)
    assert first is not None and first.units >= 3
    assert 0 < pace.pace_ms(Totals(0, 0.0), first) < 100  # ms of CPU for a unit of reference work
    assert not timers[0].is_running()


def test_the_recent_pace_is_the_last_minutes_or_all_the_log_holds(tmp_path):
    log = tmp_path / "pace.log"
    assert pace.recent_ms(None) is None
    assert pace.recent_ms(log) is None  # the timer has not started yet
    slow = [f"{n} {n * 1_000_000}\n" for n in range(1, 1001)]  # 1 ms a unit, then 0.5 for 600 units
    fast = [f"{1000 + n} {1_000_000_000 + n * 500_000}\n" for n in range(1, 601)]
    log.write_text("".join(slow + fast) + "1601 99")  # the last line still being written
    assert pace.recent_ms(log) == pytest.approx(0.5)  # the last minute's: 600 units
    assert pace.recent_ms(log, units=1200) == pytest.approx((600 * 0.5 + 600 * 1.0) / 1200)
    log.write_text("1 500000\n2 1100000\n4 2300000\n")  # fewer units than a minute's: all of them
    assert pace.recent_ms(log) == pytest.approx(0.6)
    log.write_text("1 500000\n")
    assert pace.recent_ms(log) is None  # one line: no unit timed between two
