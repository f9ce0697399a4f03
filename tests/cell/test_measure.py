"""Parsing Locust's output (real files from a run, checked in), merging repeats, the gap check."""

import json
from pathlib import Path

import pytest

from asyncgap.cell import measure, regroup, stats
from asyncgap.core import matrix
from asyncgap.core.records import CellResult, FailureReason, ResultsError
from asyncgap.views import check

LOCUST = Path(__file__).resolve().parent.parent / "fixtures" / "locust"
SYNC = LOCUST / "uvicorn-1w__sleep__sync"


def test_read_stats_gives_every_endpoint_and_the_aggregate():
    got = stats.read_stats(SYNC)
    assert set(got) == {"/fast", "/sync/sleep", "Aggregated"}
    total = got["Aggregated"]
    assert total.requests == got["/fast"].requests + got["/sync/sleep"].requests == 1025
    assert total.failures == 0
    assert total.rps == (439 + 388) / 2  # the steady seconds' mean (Locust's own: 408.66)
    assert (total.p50_ms, total.p95_ms, total.p99_ms) == (240, 330, 360)
    assert got["/sync/sleep"].mean_ms == pytest.approx(262.39, abs=0.01)
    assert got["/sync/sleep"].method == "GET"


def test_rps_counts_whole_seconds_so_waves_of_completions_are_not_counted_twice(tmp_path):
    """Slow calls that started together finish in waves, one a second. Locust's rps ends its
    window on the last completion, which is a wave: 5 waves over 4 s read 25% high."""
    wave = {
        "num_requests": 200,
        "num_failures": 0,
        "response_times": {"1000": 200},
        "start_time": 100.0,
        "last_request_timestamp": 104.01,
        "total_response_time": 200_000,
        "name": "/slow",
        "method": "GET",
        "num_reqs_per_sec": {str(t): 40 for t in range(100, 105)},
    }
    (tmp_path / "locust.json").write_text(json.dumps([wave]))
    assert stats.read_stats(tmp_path)["/slow"].rps == 40


def test_a_second_without_completions_counts_as_zero(tmp_path):
    quiet = {
        "num_requests": 3,
        "num_failures": 0,
        "response_times": {"1000": 3},
        "start_time": 0.0,
        "last_request_timestamp": 4.5,
        "total_response_time": 3000,
        "name": "/x",
        "method": "GET",
        "num_reqs_per_sec": {"0": 1, "2": 1, "4": 1},
    }
    (tmp_path / "locust.json").write_text(json.dumps([quiet]))
    assert stats.steady_seconds(tmp_path) == [0, 1, 0]
    assert stats.read_stats(tmp_path)["/x"].rps == pytest.approx(1 / 3)


def test_steady_seconds_are_whole_seconds_after_warmup():
    assert stats.steady_seconds(SYNC) == [439, 388]


def test_failure_reasons_are_read_most_frequent_first(tmp_path):
    (tmp_path / "locust_failures.csv").write_text(
        "Method,Name,Error,Occurrences,First Seen,Last Seen\n"
        "GET,/fast,HTTP 503,2,1,2\nPOST,/sync/notes,HTTP 500,7,1,2\n"
    )
    assert stats.read_failures(tmp_path) == [
        FailureReason(name="/sync/notes", error="HTTP 500", count=7),
        FailureReason(name="/fast", error="HTTP 503", count=2),
    ]
    assert stats.read_failures(SYNC) == []


def test_missing_stats_is_a_results_error(tmp_path):
    with pytest.raises(ResultsError, match="cannot read"):
        stats.read_stats(tmp_path)


def test_steady_rate_and_split():
    samples = [
        {"t": 0.0, "server_cpu_s": 0.0, "connections": {"1": 60, "2": 40}},
        {"t": 2.0, "server_cpu_s": 1.0, "connections": {"1": 88, "2": 12}},
        {"t": 4.0, "server_cpu_s": 2.5, "connections": {"1": 87, "2": 12}},
    ]
    assert measure.steady_rate(samples, "server_cpu_s", since_s=1.0) == pytest.approx(0.75)
    assert measure.connection_split(samples[1:]) == [88, 12]


def test_connections_to_other_servers_are_the_workers_sum_on_average_and_none_uncounted():
    samples = [
        {"outbound": {"1": 30, "2": 20}},
        {"outbound": {"1": 10, "2": 0}},
        {"outbound": {}},  # a container's: not counted
        {},  # a sample from before they were
    ]
    assert measure.outbound_mean(samples) == 30.0
    assert measure.outbound_mean(samples[2:]) is None


def test_a_cells_server_figures_come_from_the_samples_within_its_steady_seconds():
    """Not from a fixed time after spawning: a long on_start (sign-ins) or the swarm's ending
    would put CPU spent on no counted request into the figures."""
    seconds = sorted(int(t) for t in json.loads((SYNC / "locust.json").read_text())[-1]["num_reqs_per_sec"])
    first, stop = seconds[0] + 1, seconds[-1]  # the steady window: whole seconds, both ends left out
    cpu_at = {first - 0.5: 0.0, first: 5.0, stop - 0.1: 6.0, stop + 0.4: 9.0}  # sign-ins, then the end
    samples = [
        {"t": at - first, "at": at, "server_cpu_s": cpu, "generator_cpu_s": 0.0, "lag_s": {"1": 0.001}}
        | {"tokens_busy": {"1": 0.0}, "connections": {"1": 100}}
        for at, cpu in cpu_at.items()
    ]
    figures = measure.cell_figures(cell_dir=SYNC, samples=samples)
    assert figures.server_cores_busy == pytest.approx(1.0 / (stop - 0.1 - first), abs=0.001)


def cell(variant: str, rps: float, setup: str = "uvicorn-1w", repeat: int = 1, **more) -> CellResult:
    figures = {
        "rps": rps,
        "mean_ms": 1.0,
        "p50_ms": 1.0,
        "p95_ms": 2.0,
        "p99_ms": 3.0,
        "predicted_rps": rps,
        "measured_over_predicted": 1.0,
        "requests": 100,
        "failures": 0,
    }
    return CellResult(
        setup=setup,
        scenario="sleep",
        variant=variant,
        users=100,
        status="ok",
        repeat=repeat,
        **{**figures, **more},
    )


def test_merge_repeats_averages_and_keeps_the_spread():
    merged = regroup.merge_repeats(
        [cell("sync", 390, repeat=1), cell("sync", 400, repeat=2), cell("sync", 410, repeat=3)]
    )
    assert len(merged) == 1
    assert merged[0].rps == pytest.approx(400)
    assert merged[0].rps_repeats == [390, 400, 410]
    assert merged[0].measured_over_predicted == 1.0  # the mean rps over the median repeat's prediction


def test_merged_repeats_keep_every_repeats_failures_and_worker_events():
    kill = {
        "event": "gunicorn killed a worker whose event loop was blocked past its 30 s timeout",
        "count": 1,
        "example": "WORKER TIMEOUT (pid:7)",
    }
    dropped = {"name": "/fast", "error": "no response", "count": 3}
    troubled = {"failures": 3, "failure_reasons": [dropped], "server_events": [kill]}
    quiet = cell("sync", 400, repeat=1)
    loud, again = cell("sync", 390, repeat=2, **troubled), cell("sync", 410, repeat=3, **troubled)
    (merged,) = regroup.merge_repeats([quiet, loud, again])
    assert merged.rps == pytest.approx(400)  # the median repeat is the quiet one
    assert (merged.requests, merged.failures) == (300, 6)
    assert [r.model_dump() for r in merged.failure_reasons] == [dropped | {"count": 6}]
    assert [e.model_dump() for e in merged.server_events] == [kill | {"count": 2}]
    assert loud.failure_reasons[0].count == 3  # merging copies, never changes a repeat


def test_check_passes_the_textbook_gap_and_names_a_missing_one():
    good = [cell("async", 1000), cell("sync", 400), cell("async-blocking", 10)]
    assert check.broken_expectations(good, matrix.load()) == []
    bad = [cell("async", 500), cell("sync", 400), cell("async-blocking", 100)]
    reasons = check.broken_expectations(bad, matrix.load())
    assert reasons == [
        "sleep on uvicorn-1w: async served 500.0 rps, which is not 1.5x sync's 400.0 rps (only 1.25x)",
        "sleep on uvicorn-1w: sync served 400.0 rps, which is not 10x async-blocking's 100.0 rps"
        " (only 4.00x)",
    ]


def test_check_fails_an_expectation_it_cannot_check():
    only_sync = [cell("sync", 400)]
    reasons = check.broken_expectations(only_sync, matrix.load())
    assert reasons == [
        "sleep on uvicorn-1w: cannot check that async beats sync 1.5x: the run has no measured async cell"
        " (add --variants async)",
        "sleep on uvicorn-1w: cannot check that sync beats async-blocking 10x: the run has no measured"
        " async-blocking cell (add --variants async-blocking)",
    ]


def test_check_skips_expectations_for_other_worker_counts():
    two_workers = [
        cell("async", 1000, "uvicorn-2w"),
        cell("sync", 800, "uvicorn-2w"),
        cell("async-blocking", 20, "uvicorn-2w"),
    ]
    assert check.broken_expectations(two_workers, matrix.load()) == []


def test_get_and_post_on_one_path_stay_two_endpoints(tmp_path):
    entry = {
        "num_requests": 2,
        "num_failures": 0,
        "response_times": {"10": 2},
        "start_time": 1.0,
        "last_request_timestamp": 2.0,
        "total_response_time": 20,
        "num_reqs_per_sec": {"1": 2},
    }
    (tmp_path / "locust.json").write_text(
        json.dumps(
            [
                {**entry, "name": "/sync/notes", "method": "GET"},
                {**entry, "name": "/sync/notes", "method": "POST"},
            ]
        )
    )
    got = stats.read_stats(tmp_path)
    assert set(got) == {"/sync/notes", "POST /sync/notes", "Aggregated"}
    assert got["Aggregated"].requests == 4


def test_a_cell_with_no_steady_request_is_a_results_error(tmp_path):
    (tmp_path / "locust.json").write_text("[]")
    with pytest.raises(ResultsError, match="no request finished after warm-up"):
        measure.cell_figures(cell_dir=tmp_path, samples=[])


def test_a_cell_with_no_steady_second_is_a_results_error_not_a_rate(tmp_path):
    """Three requests 0.7 ms apart once read as 3,807 rps: under a second of load, no rate."""
    late = {
        "num_requests": 3,
        "num_failures": 0,
        "response_times": {"84": 3},
        "start_time": 10.2,
        "last_request_timestamp": 10.2007,
        "total_response_time": 252,
        "name": "/async/sleep",
        "method": "GET",
        "num_reqs_per_sec": {"10": 3},
    }
    (tmp_path / "locust.json").write_text(json.dumps([late]))
    with pytest.raises(ResultsError, match=r"no steady second: Locust finished 3 request\(s\) within 1 ms"):
        measure.cell_figures(cell_dir=tmp_path, samples=[])


def test_the_cores_pace_under_load_is_the_timers_cpu_over_its_units_in_the_steady_samples():
    samples = [
        {"t": 0.0, "pace_units": 10, "pace_cpu_s": 0.010},  # warm-up, in a faster phase
        {"t": 2.0, "pace_units": 30, "pace_cpu_s": 0.020},
        {"t": 4.0, "pace_units": 50, "pace_cpu_s": 0.036},
    ]
    assert measure.cores_pace_ms(samples[1:]) == pytest.approx(0.8)
    assert measure.cores_pace_ms([{"t": 0.0, "pace_units": 0}, {"t": 1.0, "pace_units": 0}]) is None
