"""The verdict at a glance: variants ranked by rps, how many times less each served than the best,
the /fast column only where there is a probe, and the one top site (the loop's or the threads')."""

import re

from asyncgap.core.names import FAST
from asyncgap.core.prediction import Model, ModelInputs
from asyncgap.core.records import BlockingSite, CellResult, EndpointFigures
from asyncgap.views import glance

SLEEP = BlockingSite(
    site="service/routes/sleep.py:20 sleep_blocking", callee="time.sleep", blocked_s=9.0, share=0.99
)
SELECT = BlockingSite(
    site="service/routes/db.py:31 query", callee="sqlite3.Cursor.execute", blocked_s=4.0, share=0.8
)


def model(tokens: int, workers: int = 1) -> Model:
    inputs = ModelInputs(
        users=100,
        workers=workers,
        thread_tokens=tokens,
        pool_processes=0,
        cores=2,
        connections=[100],
        endpoints={},
    )
    return Model(bound="threads", bounds_rps={"threads": 1.0}, inputs=inputs)


def cell(variant: str, rps: float, setup: str = "uvicorn-1w", **figures) -> CellResult:
    return CellResult(
        setup=setup,
        scenario="sleep",
        variant=variant,
        users=100,
        status="ok",
        rps=rps,
        **({"blocking": []} | figures),
    )


def rows(page: str) -> list[list[str]]:
    """The table's rows as lists of cell texts, tags stripped."""
    return [
        [re.sub("<[^>]+>", "", td) for td in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
        for tr in re.findall(r"<tr>(.*?)</tr>", page)
        if "<td" in tr
    ]


def test_variants_are_ranked_by_rps_on_each_setup_with_times_less_than_the_best():
    cells = [
        cell("sync", 400.0),
        cell("async-blocking", 9.5),
        cell("async", 1000.0),
        cell("sync", 50.0, setup="uvicorn-2w"),
        cell("async", 80.0, setup="uvicorn-2w"),
    ]
    table = rows(glance.table(cells, "sleep"))
    assert [(r[0], r[1], r[2], r[5]) for r in table] == [
        ("uvicorn-1w", "1", "async", "best"),
        ("", "2", "sync", "2.5x"),
        ("", "3", "async-blocking", "105x"),  # 10 times or more: whole numbers
        ("uvicorn-2w", "1", "async", "best"),
        ("", "2", "sync", "1.6x"),
    ]


def test_the_fast_column_is_there_only_when_the_scenario_has_a_probe():
    probe = {
        FAST: EndpointFigures(
            requests=10, failures=0, rps=1.0, mean_ms=2.0, p50_ms=2.0, p95_ms=1234.0, p99_ms=1500.0
        )
    }
    without = glance.table([cell("sync", 2.0), cell("async", 1.0)], "sleep")
    with_probe = glance.table([cell("sync", 2.0, endpoints=probe), cell("async", 1.0)], "sleep")
    assert f"{FAST} p95" not in without
    assert f"<th>{FAST} p95 ms</th>" in with_probe
    assert [r[6] for r in rows(with_probe)] == ["1,234", "-"]
    assert "probe's p95" in glance.note([cell("sync", 2.0, endpoints=probe)])  # and the note says it
    assert "probe" not in glance.note([cell("sync", 2.0), cell("async", 1.0)])


def test_the_top_site_is_the_loops_when_it_was_held_a_larger_share_than_the_threads():
    blocked = cell(
        "async-blocking",
        10.0,
        loop_blocked_share=0.97,
        blocking=[SLEEP],
        threads=[SELECT],
        threads_busy_mean=2.0,
    )
    blocked.model = model(tokens=40)  # 2 of 40 tokens busy: 5%, against the loop's 97%
    label, site = glance.top_site(blocked)
    assert (label, site) == ("loop 97% blocked", SLEEP)


def test_the_top_site_is_the_threads_when_their_tokens_were_the_busier():
    sync = cell(
        "sync", 400.0, loop_blocked_share=0.02, blocking=[SELECT], threads=[SLEEP], threads_busy_mean=39.6
    )
    sync.model = model(tokens=40)
    label, site = glance.top_site(sync)
    assert (label, site) == ("threads 39.6 of 40 busy", SLEEP)
    row = rows(glance.table([sync], "sleep"))[0]
    assert row[-2:] == [
        "threads 39.6 of 40 busy",
        "time.sleep called from service/routes/sleep.py:20 (sleep_blocking), 99%",
    ]


def test_nothing_held_names_no_site_and_missing_data_says_why():
    idle = cell("async", 1000.0, loop_blocked_share=0.002, blocking=[SLEEP])
    missing = CellResult(
        setup="uvicorn-1w",
        scenario="sleep",
        variant="sync",
        users=100,
        status="ok",
        rps=5.0,
        blocking_missing="no blocking data: the watchdog was off",
    )
    assert glance.top_site(idle) is None
    assert [r[-2:] for r in rows(glance.table([idle, missing], "sleep"))] == [
        ["loop 0.2% blocked", "-"],
        ["-", "no blocking data: the watchdog was off"],
    ]


def test_a_failed_cell_is_listed_unranked_with_the_first_line_of_why():
    failed = CellResult(
        setup="uvicorn-1w",
        scenario="sleep",
        variant="async",
        users=100,
        status="failed",
        reason="server died\ntrace",
    )
    table = rows(glance.table([cell("sync", 400.0), failed], "sleep"))
    assert table[1][:4] == ["", "-", "async", "100"]
    assert table[1][4] == "failed: server died"


def test_a_table_per_scenario_in_the_order_run():
    tutorial = cell("sync", 3.0).model_copy(update={"scenario": "tutorial"})
    page = glance.tables([tutorial, cell("sync", 1.0)])
    assert re.findall("<h3>(.*?)</h3>", page) == ["tutorial", "sleep"]
