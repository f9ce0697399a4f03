"""summary.json is written and read only through the typed records: round trip, old and foreign files."""

import json
import re
from pathlib import Path

import pytest

from loadtest.records import (
    SCHEMA_VERSION,
    CellResult,
    EndpointFigures,
    ResultsError,
    RunSummary,
    WorkerEvent,
    load_summary,
)

RUNS = Path(__file__).resolve().parent.parent / "fixtures" / "runs"


def measured() -> CellResult:
    fast = EndpointFigures(method="GET", requests=90, failures=0, rps=9.0, mean_ms=2.0, p50_ms=2.0,
                           p95_ms=3.0, p99_ms=4.0, predicted_rps=9.1, service_ms=0.4)  # fmt: skip
    return CellResult(setup="uvicorn-1w", scenario="sleep", variant="sync", users=100, duration_s=8,
                      warmup_s=2, status="ok", requests=900, failures=0, rps=90.0, p50_ms=220.0,
                      predicted_rps=91.0, endpoints={"/fast": fast}, connections_per_worker=[100],
                      server_events=[WorkerEvent(event="a worker exited with code 3", count=1)],
                      timings={"load_s": 8.1})  # fmt: skip


def test_a_summary_round_trips_through_the_models(tmp_path):
    failed = CellResult(setup="uvicorn-2w", scenario="db", variant="async-blocking", users=100,
                        status="failed", reason="the server exited with 1 during the load",
                        error_file="uvicorn-2w__db__async-blocking/error.txt")  # fmt: skip
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
