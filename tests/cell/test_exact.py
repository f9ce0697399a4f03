"""A cell's exact percentiles cover the same steady seconds as its rps: the window of Locust's
per-second counts, the cell's or one level's of a sweep."""

import json
from pathlib import Path

import pytest

from asyncgap.cell import exact
from asyncgap.core import latency
from asyncgap.core.records import EndpointFigures, Figures, ResultsError
from asyncgap.engines.swarm import JSON_NAME, LEVELS_NAME


def locust_entries(per_second: dict[int, int]) -> list[dict]:
    """Locust's serialized stats, as much of them as the window needs."""
    return [
        {"name": "/fast", "method": "GET", "num_reqs_per_sec": {str(t): n for t, n in per_second.items()}}
    ]


def histograms(times_by_second: dict[int, dict[str, list[float]]]) -> latency.Seconds:
    seconds: latency.Seconds = {}
    for second, endpoints in times_by_second.items():
        for name, times in endpoints.items():
            for ms in times:
                latency.record(seconds.setdefault(second, {}).setdefault(name, latency.new()), ms)
    return seconds


@pytest.fixture
def cell_dir(tmp_path) -> Path:
    """Seconds 100-104 recorded; Locust's counts (after its warm-up reset) run from 101 to 104,
    so the steady window is 102-103: the warm-up second 100 and the partial 101 and 104 are out."""
    latency.save(
        tmp_path / exact.HDR_NAME,
        histograms(
            {
                100: {"/fast": [5000.0] * 50},  # warm-up: slow, must not count
                101: {"/fast": [900.0] * 10},
                102: {"/fast": [1.0] * 95 + [10.0] * 5, "/sync/sleep": [100.0] * 20},
                103: {"/fast": [2.0] * 100, "/sync/sleep": [104.0] * 20},
                104: {"/fast": [700.0] * 10},
            }
        ),
    )
    (tmp_path / JSON_NAME).write_text(json.dumps(locust_entries({101: 10, 102: 120, 103: 120, 104: 10})))
    return tmp_path


def test_the_figures_cover_the_steady_window_only(cell_dir):
    steady = exact.steady_window(cell_dir)
    assert steady == range(102, 104)
    figures = exact.figures(exact.read(cell_dir), steady)
    assert figures.total.requests == 240
    assert figures.endpoints["/fast"].requests == 200
    assert figures.endpoints["/fast"].p50_ms == pytest.approx(2.0, rel=1e-3)
    assert figures.endpoints["/sync/sleep"].p95_ms == pytest.approx(104.0, rel=1e-3)
    assert figures.total.p999_ms == pytest.approx(104.0, rel=1e-3)  # never the warm-up's 5 s


def test_each_steady_second_gives_its_own_p95(cell_dir):
    assert exact.p95_per_second(exact.read(cell_dir), range(102, 104)) == [
        pytest.approx(100.0, rel=1e-3),
        pytest.approx(104.0, rel=1e-3),
    ]
    p95, samples = exact.steady_p95(cell_dir)
    assert p95 == pytest.approx(104.0, rel=1e-3) and len(samples) == 2  # rank 228 of 240: a 104 ms sleep


def test_a_level_of_a_sweep_has_its_own_window(cell_dir):
    levels = [
        {"users": 10, "entries": locust_entries({100: 1, 101: 5, 102: 5})},
        {"users": 40, "entries": locust_entries({102: 5, 103: 9, 104: 9, 105: 1})},
    ]
    (cell_dir / LEVELS_NAME).write_text(json.dumps(levels))
    assert exact.steady_window(cell_dir, 10) == range(101, 102)
    assert exact.steady_window(cell_dir, 40) == range(103, 105)
    with pytest.raises(ResultsError, match="no level of 99 users"):
        exact.steady_window(cell_dir, 99)


def test_a_cell_without_histograms_has_no_exact_figures(tmp_path):
    assert exact.read(tmp_path) is None
    assert exact.steady_p95(tmp_path) == (None, [])


def test_a_broken_histogram_file_is_a_results_error(cell_dir):
    (cell_dir / exact.HDR_NAME).write_text("{")
    with pytest.raises(ResultsError, match="cannot read"):
        exact.read(cell_dir)


def test_joined_puts_the_exact_percentiles_beside_locusts(cell_dir):
    def endpoint(p95_ms: float) -> EndpointFigures:
        return EndpointFigures(
            requests=1, failures=0, rps=1.0, mean_ms=p95_ms, p50_ms=p95_ms, p95_ms=p95_ms, p99_ms=p95_ms
        )

    measured = Figures(p95_ms=100.0, endpoints={"/fast": endpoint(10.0), "/gone": endpoint(1.0)})
    joined = exact.joined(measured, exact.read(cell_dir), range(102, 104))
    assert joined.p95_ms == 100.0 and joined.p95_ms_exact == pytest.approx(104.0, rel=1e-3)
    assert joined.endpoints["/fast"].p95_ms_exact == pytest.approx(2.0, rel=1e-3)  # rank 190 of 200
    assert joined.endpoints["/gone"].p95_ms_exact is None  # no request of it in the window
    unrecorded = exact.joined(measured, None, range(102, 104))
    assert unrecorded.p999_ms_exact is None and unrecorded.endpoints["/fast"].p50_ms_exact is None
