"""A sweep's records: each level's figures from its own saved stats and samples, the level-by-level
view that tables and compare use, and compare on swept runs."""

import json
from pathlib import Path

import pytest

from asyncgap.cell import drive, measure, regroup
from asyncgap.cell.model import Server, predict
from asyncgap.core.records import CellResult, Level, ResultsError, RunSummary, load_summary
from asyncgap.engines.swarm import LEVELS_NAME
from asyncgap.views import compare, report, verdicts
from tests.cell.test_model import sleep_mix

RUNS = Path(__file__).resolve().parent.parent / "fixtures" / "runs"
START = 1_700_000_000  # the epoch second the first level's stats begin


def entry(name: str, per_second: dict[int, int], ms: int) -> dict:
    """A Locust stats entry as serialize_stats gives it: `per_second` requests, each taking `ms`."""
    count = sum(per_second.values())
    return {
        "name": name,
        "method": "GET",
        "num_requests": count,
        "num_failures": 0,
        "response_times": {str(ms): count},
        "total_response_time": ms * count,
        "start_time": float(min(per_second)),
        "last_request_timestamp": float(max(per_second)) + 0.5,
        "num_reqs_per_sec": {str(t): n for t, n in per_second.items()},
    }


def level(users: int, start: int, rps: list[int], ms: int) -> dict:
    """One saved level: 9 in 10 requests sleep, 1 in 10 is the /fast probe."""
    sleeps = {start + i: n * 9 // 10 for i, n in enumerate(rps)}
    fast = {start + i: n - n * 9 // 10 for i, n in enumerate(rps)}
    return {
        "users": users,
        "errors": {},
        "entries": [entry("/async/sleep", sleeps, ms), entry("/fast", fast, 1)],
    }


def sample(at: float, cpu_s: float) -> dict:
    return {
        "t": at - START,
        "at": at,
        "generator_cpu_s": 0.0,
        "server_cpu_s": cpu_s,
        "lag_s": {"1": 0.001},
        "tokens_busy": {"1": 0.0},
        "connections": {"1": 10},
        "requests": 0.0,
    }


def test_each_level_is_measured_over_its_own_stats_and_the_samples_of_its_steady_seconds(tmp_path):
    saved = [level(10, START, [100, 100, 100, 100, 100], 100), level(40, START + 10, [400] * 5, 100)]
    (tmp_path / LEVELS_NAME).write_text(json.dumps(saved))
    # the server's CPU ran at 0.1 core in the first level and 0.8 in the second
    samples = [sample(START + t / 2, 0.05 * t) for t in range(0, 12)]
    samples += [sample(START + 10 + t / 2, 1 + 0.4 * t) for t in range(0, 12)]
    first, second = measure.level_figures(cell_dir=tmp_path, samples=samples, levels=(10, 40))
    assert (first.rps, second.rps) == (100, 400)  # the steady seconds: first and last left out
    assert first.endpoints["/fast"].requests == 50
    assert first.server_cpu_ms_per_request == pytest.approx(1.0)
    assert second.server_cpu_ms_per_request == pytest.approx(2.0)
    assert first.connections_per_worker == [10]


def test_a_level_that_saved_nothing_fails_the_cell_in_one_line(tmp_path):
    (tmp_path / LEVELS_NAME).write_text(json.dumps([level(10, START, [100] * 5, 100)]))
    with pytest.raises(ResultsError, match=r"^the level of 40 users saved no stats \(the swarm ended early"):
        measure.level_figures(cell_dir=tmp_path, samples=[], levels=(10, 40))


def swept_cell(rps: dict[int, float], *, status: str = "ok") -> CellResult:
    """A measured sweep as drive.run_cell records it: its figures are its last level's."""
    top = max(rps)
    prediction = predict(sleep_mix("sync"), top, Server(workers=1))
    levels = [
        Level(
            users=n,
            rps=r,
            requests=int(3 * r),
            failures=0,
            p50_ms=100.0,
            p95_ms=120.0,
            fast_p95_ms=2.0,
            connections_per_worker=[n],
            predicted_rps=predict(sleep_mix("sync"), n, Server(workers=1)).predicted_rps,
            bound="threads" if n > 40 else "connections",
        )
        for n, r in rps.items()
    ]
    return CellResult(
        setup="uvicorn-1w",
        scenario="sleep",
        variant="sync",
        users=top,
        duration_s=8.0,
        status=status,
        rps=rps[top],
        requests=levels[-1].requests,
        failures=0,
        model=prediction,
        levels=levels,
        locust_report="uvicorn-1w__sleep__sync/locust.html",
    )


def test_by_level_makes_a_cell_of_each_level_with_the_model_at_its_users():
    single = swept_cell({100: 400.0}).model_copy(update={"levels": [], "variant": "async"})
    cells = regroup.by_level([swept_cell({10: 110.0, 40: 430.0, 100: 440.0}), single])
    assert [(c.variant, c.users, c.rps) for c in cells] == [
        ("sync", 10, 110.0),
        ("sync", 40, 430.0),
        ("sync", 100, 440.0),
        ("async", 100, 400.0),
    ]
    ten, _, hundred, alone = cells
    assert (ten.model.bound, ten.model.inputs.users) == ("connections", 10)
    assert (hundred.model.bound, hundred.model.predicted_rps) == ("threads", pytest.approx(444, abs=1))
    assert ten.duration_s == 8.0 / 3 and ten.p99_ms is None  # a level has no p99 of its own
    assert (ten.locust_report, hundred.locust_report) == (None, "uvicorn-1w__sleep__sync/locust.html")
    assert alone is single


def test_a_swept_summary_round_trips_and_older_ones_load_with_no_levels(tmp_path):
    failed = CellResult(
        setup="uvicorn-1w",
        scenario="sleep",
        variant="async",
        users=40,
        status="failed",
        reason="boom",
        levels=[Level(users=10), Level(users=40)],
    )
    summary = RunSummary(cells=[swept_cell({10: 110.0, 40: 430.0}), failed])
    summary.save(tmp_path)
    assert load_summary(tmp_path) == summary
    on_disk = json.loads((tmp_path / "summary.json").read_text())["cells"]
    assert set(on_disk[0]["levels"][0]) == set(on_disk[1]["levels"][0])  # a failed level has every field
    assert {
        "users",
        "rps",
        "p50_ms",
        "p95_ms",
        "fast_p95_ms",
        "predicted_rps",
        "predicted_latency_ms",
    } <= set(on_disk[0]["levels"][0])
    assert all(c.levels == [] for c in load_summary(RUNS / "base").cells)


def test_a_failed_sweep_records_its_levels_empty(tmp_path):
    from asyncgap.cell.plan import Cell

    cell = Cell("uvicorn-1w", "sleep", "sync", 40, 12.0, 1.0, levels=(1, 10, 40))
    (tmp_path / cell.key).mkdir()
    result = drive.failed(cell, RuntimeError("no server"), drive.Stopwatch(), tmp_path / cell.key, bug=False)
    assert [(lv.users, lv.rps) for lv in result.levels] == [(1, None), (10, None), (40, None)]


def swept_run(folder: Path, rps_40: list[int]) -> Path:
    """A run of one sweep (10 and 40 users) whose 40-user level served `rps_40` each second."""
    cell = swept_cell({10: 110.0, 40: sum(rps_40[1:-1]) / len(rps_40[1:-1])})
    (folder / cell.folder).mkdir(parents=True)
    saved = [level(10, START, [110] * 8, 90), level(40, START + 20, rps_40, 90)]
    (folder / cell.folder / LEVELS_NAME).write_text(json.dumps(saved))
    RunSummary(cells=[cell]).save(folder)
    return folder


def test_compare_goes_level_by_level_on_swept_runs(tmp_path):
    a = swept_run(tmp_path / "a", [440, 441, 439, 442, 438, 440, 441, 439])
    b = swept_run(tmp_path / "b", [330, 331, 329, 332, 328, 330, 331, 329])
    rows = compare.compare(a, b)
    assert [(r["users"], r["verdict"]) for r in rows] == [(10, "not significant"), (40, "slower")]
    assert rows[1]["rps_change"] == pytest.approx(-0.25, abs=0.001)
    assert rows[1]["basis"] == "per-second"


def test_the_dashboard_draws_the_curves_with_the_knee_and_lists_each_level(tmp_path):
    page = report.render(swept_run(tmp_path / "a", [440] * 8))
    assert "sleep on uvicorn-1w: throughput against users" in page
    assert "sleep on uvicorn-1w: latency against users" in page
    assert "sync: knee 40 users = 40 thread tokens" in page  # then "/ 0.994 of a cycle" (JSON-escaped)
    assert page.count("<tr><td>uvicorn-1w</td><td>sleep</td><td>sync</td>") == 2  # a row per level


def test_a_sweep_that_serves_less_with_more_users_is_called_out(tmp_path):
    collapsed = swept_cell({10: 104.0, 30: 309.0, 100: 94.0})  # issue 14's upstream async
    steady = swept_cell({10: 110.0, 40: 430.0, 100: 440.0})
    assert "more users, less throughput" in verdicts.sweep_verdicts([collapsed])[0]
    line = verdicts.sweep_verdicts([steady])[0]
    assert "sync 110 rps at 10, 440 at 100 (the model's knee: 40 users)" in line
    assert "less throughput" not in line


def test_the_dashboard_names_the_versions_that_served_the_load_an_apps_own(tmp_path):
    run = swept_run(tmp_path / "a", [440] * 8)
    harness = {"fastapi": "0.165.0", "starlette": "1.10.0", "locust": "2.47.0", "databases": "0.9.0"}
    meta = {"python": "3.11.7", "versions": harness}
    (run / "meta.json").write_text(json.dumps(meta))
    assert "Python 3.11.7 · fastapi 0.165.0 · starlette 1.10.0 · locust 2.47.0 · databases 0.9.0" in (
        report.render(run)
    )
    app_versions = {"python": "3.11.4", "fastapi": "0.79.1", "starlette": "0.19.1", "gunicorn": None}
    (run / "meta.json").write_text(
        json.dumps({**meta, "app": {"target": "app.main:app", "versions": app_versions}})
    )
    page = report.render(run)
    assert "app.main:app on Python 3.11.4 · fastapi 0.79.1 · starlette 0.19.1 · locust 2.47.0" in page
    assert "0.165.0" not in page and "databases" not in page and "gunicorn" not in page
