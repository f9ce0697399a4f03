"""summary.json is written and read only through the typed records: round trip, old and foreign files."""

import json
import re
from pathlib import Path

import pytest

from asyncgap.core.records import (
    SCHEMA_VERSION,
    CellResult,
    EndpointFigures,
    Level,
    ResultsError,
    RunSummary,
    WorkerEvent,
    load_summary,
)

RUNS = Path(__file__).resolve().parent.parent / "fixtures" / "runs"


def measured() -> CellResult:
    fast = EndpointFigures(
        method="GET",
        requests=90,
        failures=0,
        rps=9.0,
        mean_ms=2.0,
        p50_ms=2.0,
        p95_ms=3.0,
        p99_ms=4.0,
        predicted_rps=9.1,
        service_ms=0.4,
    )
    return CellResult(
        setup="uvicorn-1w",
        scenario="sleep",
        variant="sync",
        users=100,
        duration_s=8,
        warmup_s=2,
        status="ok",
        requests=900,
        failures=0,
        rps=90.0,
        p50_ms=220.0,
        predicted_rps=91.0,
        endpoints={"/fast": fast},
        connections_per_worker=[100],
        server_events=[WorkerEvent(event="a worker exited with code 3", count=1)],
        timings={"load_s": 8.1},
    )


def test_a_summary_round_trips_through_the_models(tmp_path):
    failed = CellResult(
        setup="uvicorn-2w",
        scenario="db",
        variant="async-blocking",
        users=100,
        status="failed",
        reason="the server exited with 1 during the load",
        error_file="uvicorn-2w__db__async-blocking/error.txt",
    )
    summary = RunSummary(complete=False, cells=[measured(), failed])
    summary.save(tmp_path)
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk["schema_version"] == SCHEMA_VERSION
    assert set(on_disk["cells"][0]) == set(on_disk["cells"][1])  # a failed cell has every field
    assert on_disk["cells"][1]["rps"] is None
    assert load_summary(tmp_path) == summary
    assert not (tmp_path / ".summary.json.tmp").exists()


def test_a_summary_from_before_schema_versions_loads_with_the_new_fields_empty():
    summary = load_summary(RUNS / "base")
    assert summary.schema_version == 1
    assert summary.cells[0].rps == 400
    assert summary.cells[0].rps_ci95_pct is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"schema_version": 99, "cells": []}', "has schema_version 99; this asyncgap reads versions 1 to"),
        ('{"cells": [{"setup": "uvicorn-1w"}]}', "is not a run summary: cells.0.scenario: Field required"),
        ('{"cells": [], "surprise": 1}', "is not a run summary: surprise: Extra inputs are not permitted"),
        ("[1, 2]", "is not a run summary: it holds a list"),
        ("{not json", "is unreadable"),
    ],
)
def test_a_foreign_or_newer_summary_fails_with_one_line(tmp_path, content, message):
    (tmp_path / "summary.json").write_text(content)
    with pytest.raises(ResultsError, match=re.escape(message)) as caught:
        load_summary(tmp_path)
    assert "\n" not in str(caught.value)


def test_a_folder_without_summary_is_not_a_run(tmp_path):
    with pytest.raises(ResultsError, match=r"is not a run folder: no summary\.json in it"):
        load_summary(tmp_path)


# summary.json's shape (schema_version 2): the records are built from parts, and the parts may
# move, but what a reader of the file finds must not.
CELL_KEYS = {
    "setup",
    "scenario",
    "variant",
    "users",
    "duration_s",
    "warmup_s",
    "repeat",
    "converge_pct",
    "dir",
    "status",
    "reason",
    "error_file",
    "requests",
    "failures",
    "rps",
    "mean_ms",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "p50_ms_exact",
    "p95_ms_exact",
    "p99_ms_exact",
    "p999_ms_exact",
    "predicted_rps",
    "predicted_rps_even_split",
    "measured_over_predicted",
    "model",
    "server_cpu_ms_per_request",
    "server_wakeups_per_request",
    "server_preemptions_per_request",
    "pace_ms",
    "steady_s",
    "rps_ci95_pct",
    "connections_per_worker",
    "outbound_connections",
    "server_cores_busy",
    "generator_cores_busy",
    "generator_bound",
    "loop_lag_max_ms",
    "loop_lag_median_ms",
    "tokens_busy_max",
    "failure_reasons",
    "server_events",
    "endpoints",
    "locust_report",
    "timings",
    "repeats",
    "rps_repeats",
    "levels",
    "blocking",
    "threads",
    "loop_blocked_share",
    "threads_busy_mean",
    "executor",
    "executor_busy_mean",
    "executor_workers",
    "blocking_missing",
    "db_cores_busy",
    "db_cpu_ms_per_request",
}
LEVEL_KEYS = {
    "users",
    "requests",
    "failures",
    "rps",
    "rps_ci95_pct",
    "p50_ms",
    "p95_ms",
    "p50_ms_exact",
    "p95_ms_exact",
    "fast_p95_ms",
    "fast_p95_ms_exact",
    "predicted_rps",
    "predicted_latency_ms",
    "measured_over_predicted",
    "bound",
    "reason",
    "server_cpu_ms_per_request",
    "server_wakeups_per_request",
    "server_preemptions_per_request",
    "pace_ms",
    "connections_per_worker",
    "outbound_connections",
    "generator_bound",
    "blocking",
    "loop_blocked_share",
    "endpoints",
}
ENDPOINT_KEYS = {
    "method",
    "requests",
    "failures",
    "rps",
    "mean_ms",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "predicted_rps",
    "service_ms",
    "p50_ms_exact",
    "p95_ms_exact",
    "p99_ms_exact",
    "p999_ms_exact",
}


def test_the_shape_of_summary_json_stays_as_readers_know_it(tmp_path):
    swept = measured().model_copy(update={"levels": [Level(users=10), Level(users=100)]})
    RunSummary(cells=[swept]).save(tmp_path)
    (cell,) = json.loads((tmp_path / "summary.json").read_text())["cells"]
    assert set(cell) == CELL_KEYS
    assert all(set(level) == LEVEL_KEYS for level in cell["levels"])
    assert set(cell["endpoints"]["/fast"]) == ENDPOINT_KEYS
