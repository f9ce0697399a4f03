"""The console's summary table and the pages' Markdown tables read one list of columns: the same
headings and the same figures, a failed cell with its identity and no figures."""

from pathlib import Path

from asyncgap.core.records import CellResult, RunSummary
from asyncgap.views import columns, console, markdown


def _cells() -> list[CellResult]:
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
    )
    failed = CellResult(setup="uvicorn-2w", scenario="sleep", variant="async", users=7, status="failed")
    return [ok, failed]


def test_the_console_and_a_page_show_the_same_headings_and_figures(tmp_path: Path):
    with console.out.capture() as captured:
        console.summary_table(_cells(), tmp_path)
    screen = captured.get()
    page = markdown.table(RunSummary(cells=_cells()))
    for text in ("meas/pred", "/fast p95 ms", "1,234.6", "1,300.0", "0.95", "380"):
        assert text in screen and text in page
    assert "failed" in screen
    assert "| uvicorn-2w | sleep | async | 7 | - | - |" in page


def test_a_failed_cell_keeps_only_who_it_was():
    values = columns.row(_cells()[1], columns.CONSOLE)
    assert values[:4] == ["uvicorn-2w", "sleep", "async", "7"] and set(values[4:]) == {"-"}
