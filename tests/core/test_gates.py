"""Thresholds judged on recorded cells: which cells each applies to, the verdicts and their notes,
and the check before the load that refuses a threshold no cell can be judged by."""

from dataclasses import dataclass

import pytest

from asyncgap.core import gates
from asyncgap.core.records import (
    NO_APP_FRAME,
    BlockingSite,
    CellResult,
    EndpointFigures,
    Level,
    RunSummary,
    load_summary,
)
from asyncgap.core.thresholds import ThresholdError, ThresholdTable, parse
from asyncgap.watch import callsite


def endpoint(p95: float, requests: int = 100) -> EndpointFigures:
    return EndpointFigures(
        method="GET",
        requests=requests,
        failures=0,
        rps=10.0,
        mean_ms=p95 / 2,
        p50_ms=p95 / 2,
        p95_ms=p95,
        p99_ms=p95,
    )


def cell(variant: str = "async", **figures) -> CellResult:
    base = {
        "setup": "uvicorn-1w",
        "scenario": "sleep",
        "variant": variant,
        "users": 100,
        "status": "ok",
        "requests": 1000,
        "failures": 5,
        "rps": 500.0,
        "p95_ms": 150.0,
        "loop_blocked_share": 0.01,
        "endpoints": {"/fast": endpoint(40.0), f"/{variant}/sleep": endpoint(120.0)},
    }
    return CellResult(**{**base, **figures})


def results(exprs: list[str], *cells: CellResult) -> list[tuple[str, float | None, bool]]:
    return [(r.expr, r.value, r.passed) for r in gates.evaluate([parse(e) for e in exprs], list(cells))]


def test_passing_and_failing_thresholds_on_the_cells_figures():
    assert results(["p95_ms<200", "rps>600", "fail_ratio<0.01", "/fast:p95_ms<50"], cell()) == [
        ("p95_ms<200", 150.0, True),
        ("rps>600", 500.0, False),
        ("fail_ratio<0.01", 0.005, True),
        ("/fast:p95_ms<50", 40.0, True),
    ]


def test_a_percentile_gate_reads_the_exact_figure_when_the_cell_has_it():
    exact = cell(p95_ms=200.0, p95_ms_exact=197.3)  # the HDR figure beside Locust's rounded one
    assert gates.read(exact, "p95_ms") == 197.3
    assert gates.read(exact, "p999_ms") is None  # exact only: not Locust's
    assert gates.read(cell(), "p95_ms") == 150.0  # a run without histograms: Locust's


def test_a_failed_cell_is_not_evaluated_and_counts_as_failed():
    broken = CellResult(
        setup="uvicorn-1w", scenario="sleep", variant="sync", users=100, status="failed", reason="boom"
    )
    [result] = gates.evaluate([parse("p95_ms<200")], [broken])
    assert (result.value, result.passed) == (None, False)
    assert result.note == "not evaluated: the cell failed (boom)"
    assert result.cell == "uvicorn-1w__sleep__sync"


def test_a_figure_the_cell_did_not_measure_is_not_evaluated():
    unwatched = cell(loop_blocked_share=None, blocking_missing="no blocking data: no watch file")
    [result] = gates.evaluate([parse("loop_blocked_share<0.05")], [unwatched])
    assert not result.passed
    assert (
        result.note == "not evaluated: loop_blocked_share was not measured (no blocking data: no watch file)"
    )


def test_a_missing_endpoint_is_named_with_the_ones_the_cell_has():
    [result] = gates.evaluate([parse("/fsat:p95_ms<50")], [cell()])
    assert not result.passed
    assert "no endpoint /fsat (it has: /fast, /async/sleep)" in result.note


def test_the_variant_slot_reads_each_cells_own_endpoint():
    assert results(["/{variant}/sleep:p95_ms<130"], cell("sync"), cell("async-blocking")) == [
        ("/{variant}/sleep:p95_ms<130", 120.0, True),
        ("/{variant}/sleep:p95_ms<130", 120.0, True),
    ]


def test_a_blocked_loop_names_its_top_call_site():
    site = BlockingSite(
        site="service/routes/sleep.py:12 sleep_blocking", callee="time.sleep", blocked_s=3.9, share=0.99
    )
    blocked = cell("async-blocking", loop_blocked_share=0.97, blocking=[site])
    [result] = gates.evaluate([parse("loop_blocked_share<0.05")], [blocked])
    assert not result.passed and result.value == 0.97
    assert result.note == (
        "loop_blocked_share 0.97 is not < 0.05; most of it in time.sleep called from "
        "service/routes/sleep.py:12 sleep_blocking (99%)"
    )


def test_a_blocked_loop_whose_top_site_is_outside_the_application_also_names_the_top_one_inside():
    """On a busy machine the loop's own code tops the list (its thread waits for a core): the
    note still points at the line a user can change."""
    loop = BlockingSite(site=NO_APP_FRAME, callee="asyncio.runners.Runner.run", blocked_s=0.5, share=0.51)
    login = BlockingSite(site="app.py:30 login", callee="hashlib.scrypt", blocked_s=0.4, share=0.45)
    blocked = cell("async", loop_blocked_share=0.12, blocking=[loop, login])
    [result] = gates.evaluate([parse("loop_blocked_share<0.05")], [blocked])
    assert result.note == (
        "loop_blocked_share 0.12 is not < 0.05; most of it in asyncio.runners.Runner.run called from "
        "(no application frame) (51%); in the application: hashlib.scrypt called from app.py:30 login (45%)"
    )


def test_the_records_know_the_site_the_watchdog_writes_without_an_application_frame():
    assert NO_APP_FRAME == callsite.NO_APP_FRAME


def test_scopes_pick_the_cells():
    table = ThresholdTable(variants={"async": ("loop_blocked_share<0.05",)}, all=("rps>1",))
    judged = gates.evaluate(table.thresholds(), [cell("async"), cell("sync", loop_blocked_share=0.9)])
    assert [(r.cell, r.expr) for r in judged] == [
        ("uvicorn-1w__sleep__async", "rps>1"),
        ("uvicorn-1w__sleep__async", "loop_blocked_share<0.05"),
        ("uvicorn-1w__sleep__sync", "rps>1"),
    ]


def test_a_level_threshold_reads_that_level_of_a_sweep_only():
    levels = [Level(users=10, rps=90.0, p95_ms=100.0), Level(users=100, rps=400.0, p95_ms=260.0)]
    sweep = cell(users=100, levels=levels)
    assert results(["@users=10:p95_ms<200", "@users=100:p95_ms<200"], sweep, cell()) == [
        ("@users=10:p95_ms<200", 100.0, True),
        ("@users=100:p95_ms<200", 260.0, False),
    ]  # the single-level cell holds no level: not judged


@dataclass(frozen=True)
class Planned:
    setup: str
    scenario: str
    variant: str
    users: int = 100
    levels: tuple[int, ...] = ()


PLAN = [Planned("uvicorn-1w", "sleep", "sync"), Planned("uvicorn-1w", "db-pg", "sync")]


def on_postgres(scenario: str) -> bool:
    return scenario == "db-pg"


def test_a_database_figure_on_a_cell_without_a_database_server_is_refused_before_the_load():
    with pytest.raises(
        ThresholdError, match="db_cpu_ms_per_request is a PostgreSQL figure and cell uvicorn-1w sleep"
    ):
        gates.check_figures([parse("db_cpu_ms_per_request<2")], PLAN, on_postgres)
    scoped = ThresholdTable(scenarios={"db-pg": ("db_cpu_ms_per_request<2",)}).thresholds()
    gates.check_figures(scoped, PLAN, on_postgres)  # scoped to the PostgreSQL scenario: fine


def test_a_level_that_no_swept_cell_holds_is_refused():
    swept = [Planned("uvicorn-1w", "sleep", "sync", levels=(1, 10, 40))]
    gates.check_levels([parse("@users=40:rps>1")], swept)
    with pytest.raises(
        ThresholdError, match=r"no swept cell holds 100 users \(levels of this run: 1, 10, 40\)"
    ):
        gates.check_levels([parse("@users=100:rps>1")], swept)
    with pytest.raises(ThresholdError, match="levels of this run: none, it sweeps nothing"):
        gates.check_levels([parse("@users=100:rps>1")], PLAN)


def test_the_same_expression_in_the_matrix_and_on_the_command_line_is_judged_once():
    scoped = ThresholdTable(variants={"async": ("rps>1",)}).thresholds()
    judged = gates.evaluate([parse("rps>1"), *scoped], [cell("async"), cell("sync")])
    assert [(r.cell, r.expr) for r in judged] == [
        ("uvicorn-1w__sleep__async", "rps>1"),
        ("uvicorn-1w__sleep__sync", "rps>1"),
    ]


def test_the_results_round_trip_through_summary_json(tmp_path):
    judged = gates.evaluate([parse("p95_ms<200"), parse("rps>600")], [cell()])
    RunSummary(cells=[cell()], thresholds=judged).save(tmp_path)
    assert load_summary(tmp_path).thresholds == judged
    RunSummary(cells=[cell()]).save(tmp_path)  # a run without gates, or from before them
    assert load_summary(tmp_path).thresholds == []
