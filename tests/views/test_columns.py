"""The console's summary table and the pages' Markdown tables read one list of columns: the same
headings and the same figures, a failed cell with its identity and no figures."""

from pathlib import Path

from asyncgap.cell.model import Server, predict
from asyncgap.core.names import FAST
from asyncgap.core.records import CellResult, EndpointFigures, RunSummary
from asyncgap.views import columns, console, markdown, table
from tests.cell.test_model import sleep_mix


def _cells(probe_p95_ms: float | None = 13.0) -> list[CellResult]:
    probe = EndpointFigures(
        requests=5, failures=0, rps=5.0, mean_ms=2.0, p50_ms=2.0, p95_ms=probe_p95_ms, p99_ms=9.0
    )
    ok = CellResult(
        setup="uvicorn-1w",
        scenario="sleep",
        variant="sync",
        users=100,
        status="ok",
        rps=1234.56,
        predicted_rps=1300.0,
        measured_over_predicted=0.95,
        p95_ms=380.0,
        requests=10,
        failures=0,
        endpoints={FAST: probe} if probe_p95_ms is not None else {},
    )
    failed = CellResult(setup="uvicorn-2w", scenario="sleep", variant="async", users=7, status="failed")
    return [ok, failed]


def test_the_console_and_a_page_show_the_same_headings_and_figures(tmp_path: Path):
    with console.out.capture() as captured:
        console.summary_table(_cells(), tmp_path)
    screen = captured.get()
    page = markdown.table(RunSummary(cells=_cells()))
    for text in ("meas/pred", "/fast p95 ms", "1,234.6", "1,300.0", "0.95", "380", "13"):
        assert text in screen and text in page
    assert "failed" in screen
    assert "| uvicorn-2w | sleep | async | 7 | - | - |" in page


def test_a_failed_cell_keeps_only_who_it_was():
    values = columns.row(_cells()[1], columns.CONSOLE)
    assert values[:4] == ["uvicorn-2w", "sleep", "async", "7"] and set(values[4:]) == {"-"}


def test_the_console_leaves_out_the_probe_column_when_no_row_has_a_probe(tmp_path: Path):
    with console.out.capture() as captured:
        console.summary_table(_cells(probe_p95_ms=None), tmp_path)
    screen = captured.get()
    assert "/fast" not in screen and "1,234.6" in screen and "380" in screen


def test_the_console_says_under_its_table_why_theory_missed_each_row_that_missed(tmp_path: Path):
    missed = predict(sleep_mix("async"), 100, Server(workers=1)).model_copy(
        update={"reason": "measured 0.50x the prediction: the load generator was the bottleneck"}
    )
    cells = _cells()
    cells[0] = cells[0].model_copy(update={"model": missed})
    with console.out.capture() as captured:
        console.summary_table(cells, tmp_path)
    lines = captured.get().splitlines()
    assert any("theory" in line and line.startswith("│ uvicorn-1w") for line in lines)  # the row's note
    assert (
        "theory missed: uvicorn-1w sleep sync 100 users: measured 0.50x the prediction: "
        "the load generator was the bottleneck"
    ) in lines


def test_the_dashboards_table_leaves_out_the_probe_column_when_no_row_has_a_probe():
    cells = [
        c.model_copy(update={"model": predict(sleep_mix("sync"), 100, Server(workers=1))}) for c in _cells()
    ]
    probed = table.measured_vs_predicted(cells, [])
    assert "<th>/fast&nbsp;p95</th>" in probed and "<td>13</td>" in probed
    app = [c.model_copy(update={"endpoints": {}}) for c in cells]
    unprobed = table.measured_vs_predicted(app, [])
    assert "/fast" not in unprobed
    header, row = unprobed.count("<th>"), unprobed.split("<tr>")[2]
    assert row.count("<td>") == header  # every row as wide as the header
    failed = unprobed.split("<tr>")[-1]
    assert f"colspan={header - 4}" in failed


def test_a_page_may_show_the_connections_as_counted_beside_the_even_split_prediction():
    ok = _cells()[0]
    counted = ok.model_copy(
        update={
            "setup": "gunicorn-2w",
            "connections_per_worker": [137, 59],
            "predicted_rps_even_split": 1310.0,
        }
    )
    page = markdown.table(RunSummary(cells=[counted, ok]), column_names="setup,connections,even-split")
    assert "| gunicorn-2w | 137/59 | 1,310.0 |" in page
    assert "| uvicorn-1w | - | - |" in page
