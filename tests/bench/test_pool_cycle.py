"""The pool-cycle section: a load's samples taken a second at a time, and what windows of them read."""

import pytest

from asyncgap.bench import pool_cycle, suite


def samples(cpu_ms_each_second: list[float], rps: int = 200) -> list[dict]:
    """Samples every 0.5 s from t = 0, each second's requests costing the CPU given for it."""
    rows, cpu_s, served = [], 0.0, 0
    for half in range(2 * len(cpu_ms_each_second) + 1):
        outbound = {"1": 30, "2": 28}  # each worker's connections to the upstream
        rows.append({"t": half / 2, "requests": served, "server_cpu_s": cpu_s, "outbound": outbound})
        if half < 2 * len(cpu_ms_each_second):
            served += rps // 2
            cpu_s += cpu_ms_each_second[half // 2] * (rps // 2) / 1000
    return rows


# four dear seconds and one cheap, twice: a pool whose connections expire together every 5 s
CYCLE = [6.5, 6.5, 6.5, 6.5, 4.0] * 2


def test_samples_are_taken_a_second_at_a_time_past_the_warm_up():
    seconds = pool_cycle.per_second(samples([9.0, *CYCLE]), after_s=1.0)
    assert [s["t"] for s in seconds] == [float(t) for t in range(1, 11)]
    assert [s["cpu_ms_per_request"] for s in seconds] == CYCLE  # the warm-up's 9 ms left out
    assert all(s["rps"] == 200 and s["requests"] == 200 and s["outbound"] == 58 for s in seconds)


def test_a_window_of_a_second_reads_its_luck_and_one_of_a_cycle_the_mean():
    seconds = pool_cycle.per_second(samples(CYCLE), after_s=0.0)
    mean = sum(CYCLE) / len(CYCLE)  # 6.0 ms: every second serves as many requests
    one = pool_cycle.window_range(seconds, 1)
    assert (one["low"], one["high"], one["windows"]) == (round(4.0 / mean, 3), round(6.5 / mean, 3), 10)
    five = pool_cycle.window_range(seconds, 5)  # every run of five seconds holds one cheap second
    assert five["low"] == five["high"] == 1.0 and five["windows"] == 6


def test_a_second_with_no_request_served_is_left_out():
    rows = samples([6.0, 6.0])
    rows[3]["requests"] = rows[2]["requests"] = rows[1]["requests"] = 0  # none served until t = 1.5
    assert len(pool_cycle.per_second(rows, after_s=0.0)) == 1


@pytest.mark.parametrize("failed", [True, False])
def test_the_section_prints_the_windows_beside_the_goal_or_why_the_cell_failed(failed):
    seconds = pool_cycle.per_second(samples(CYCLE), after_s=0.0)
    result = (
        {"error": "the server exited with 1 during the load"}
        if failed
        else {
            "seconds": seconds,
            "windows": {"1": pool_cycle.window_range(seconds, 1), "6": pool_cycle.window_range(seconds, 6)},
            "load_cpu_ms": 5.1,
            "predicted_cpu_ms": 5.4,
            "ratio": 1.06,
        }
    )
    text = suite.markdown({"pinned": True, "cores": {"generator": [1], "server": [0]}, "pool_cycle": result})
    assert "## 12. A client pool's cycle" in text and "within +-5% of the load's mean" in text
    if failed:
        assert "The cell failed: the server exited with 1 during the load" in text
    else:
        assert "| 1 | 0.667 | 1.083 | 10 |" in text and "| 6 |" in text
        assert "calibration measures 1 s, and 6 s for a task that opens connections" in text
        assert "expected 5.4 ms a request from calibration's burst, the load paid 5.1" in text
        assert "| 5.0 | 200.0 | 4.000 | 58 |" in text
