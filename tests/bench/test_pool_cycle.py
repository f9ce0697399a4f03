"""The pool-cycle section: a load's samples taken a second at a time, and what windows of them read."""

import pytest

from asyncgap.bench import pool_cycle, suite


def samples(cpu_ms_each_second: list[float], rps: int = 200, every_s: float = 0.5) -> list[dict]:
    """Samples `every_s` apart from t = 0, the server finishing `rps` requests a second, those of
    each second costing the CPU given for it."""
    rows, cpu_s, served, t = [], 0.0, 0.0, 0.0
    while True:
        outbound = {"1": 30, "2": 28}  # each worker's connections to the upstream
        rows.append({"t": round(t, 3), "requests": served, "server_cpu_s": cpu_s, "outbound": outbound})
        if t + every_s > len(cpu_ms_each_second) + 1e-9:
            return rows
        served += rps * every_s
        cpu_s += cpu_ms_each_second[int(t + 1e-9)] * rps * every_s / 1000
        t += every_s


# four dear seconds and one cheap, twice: a pool whose connections expire together every 5 s
CYCLE = [6.5, 6.5, 6.5, 6.5, 4.0] * 2


def test_samples_are_taken_a_second_at_a_time():
    seconds = pool_cycle.per_second(samples(CYCLE))
    assert [s["t"] for s in seconds] == [float(t) for t in range(1, 11)]
    assert [s["cpu_ms_per_request"] for s in seconds] == CYCLE
    assert all(s["rps"] == 200 and s["requests"] == 200 and s["outbound"] == 58 for s in seconds)


def test_a_second_is_at_least_a_second_when_samples_come_late():
    # samples 0.6 s apart (the sampler's own time on top of its 0.5 s): spans of 1.2 s
    seconds = pool_cycle.per_second(samples([5.0] * 6, every_s=0.6))
    assert [s["t"] for s in seconds] == [1.2, 2.4, 3.6, 4.8, 6.0]
    assert all(s["requests"] == 240 and s["rps"] == 200 for s in seconds)


def test_a_window_of_a_second_reads_its_luck_and_one_of_a_cycle_the_mean():
    rows = samples(CYCLE)
    mean = sum(CYCLE) / len(CYCLE)  # 6.0 ms: every second serves as many requests
    one = pool_cycle.window_range(rows, 1)
    assert (one["low"], one["high"]) == (round(4.0 / mean, 3), round(6.5 / mean, 3))
    assert one["windows"] == 19  # one from each sample a second before the last
    five = pool_cycle.window_range(rows, 5)  # every run of five seconds holds one cheap second
    assert five["low"] == five["high"] == 1.0 and five["windows"] == 11
    six = pool_cycle.window_range(rows, 6)  # ... and of six seconds, one or two
    assert six["low"] == round((4 * 6.5 + 2 * 4.0) / 6 / mean, 3)
    assert six["high"] == round((5 * 6.5 + 4.0) / 6 / mean, 3)


def test_no_window_longer_than_the_samples_and_none_without_a_request():
    assert pool_cycle.window_range(samples(CYCLE), 12) is None
    assert pool_cycle.window_range([], 1) is None and pool_cycle.per_second([]) == []
    idle = [{**s, "requests": 0} for s in samples([5.0, 5.0])]
    assert pool_cycle.window_range(idle, 1) is None and pool_cycle.per_second(idle) == []


@pytest.mark.parametrize("failed", [True, False])
def test_the_section_prints_the_windows_beside_the_goal_or_why_the_cell_failed(failed):
    rows = samples(CYCLE)
    result = (
        {"error": "the server exited with 1 during the load"}
        if failed
        else {
            "seconds": pool_cycle.per_second(rows),
            "windows": {str(n): pool_cycle.window_range(rows, n) for n in (1, 6, 12)},
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
        assert "| 1 | 0.667 | 1.083 | 19 |" in text and "| 6 | 0.944 | 1.014 | 9 |" in text
        assert "| 12 |" not in text  # longer than the samples: no window to read
        assert "calibration measures 1 s, and 6 s for a task that opens connections" in text
        assert "expected 5.4 ms a request from calibration's burst, the load paid 5.1" in text
        assert "| 5.0 | 200.0 | 4.000 | 58 |" in text
