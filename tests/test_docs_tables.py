"""The published figures: every marked table in README.md and docs/ is what its committed run
renders, every run a page cites is committed, and docs/summary.schema.json is current. The rest
checks, on tiny synthetic pages and runs, that these checks would catch a hand edit."""

import json
from pathlib import Path

import pytest

from asyncgap import cli, pages, remeasure
from asyncgap.core.records import CellResult, Level, ResultsError, RunSummary
from asyncgap.views import markdown
from asyncgap.views.markdown import MarkdownError
from tests.paths import ROOT

PAGES = pages.pages(ROOT)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_marked_table_is_its_rerender(page: Path):
    text = page.read_text()
    assert pages.regenerated(text, ROOT) == text, f"{page.name} differs from its runs: run `make docs`"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_cited_run_is_committed(page: Path):
    for name in pages.cited_runs(page.read_text()):
        run = ROOT / pages.RUNS / name
        records = {p.name for p in run.glob("*.json")}
        assert "meta.json" in records, f"{page.name} cites run {name}: no {run}/meta.json"
        assert records & {"summary.json", "bench.json"}, f"{page.name} cites run {name}: no record in {run}"


def test_the_schema_file_is_current():
    assert (ROOT / pages.SCHEMA).read_text() == pages.schema_text(), "run `make docs`"


def test_published_runs_keep_no_locust_files():
    kept = {p.name for p in (ROOT / pages.RUNS).rglob("*") if p.is_file()}
    assert kept <= set(remeasure.KEPT)


def _cell(setup: str, variant: str, rps: float, **more) -> CellResult:
    return CellResult(
        setup=setup,
        scenario="sleep",
        variant=variant,
        users=100,
        status="ok",
        rps=rps,
        requests=1000,
        failures=0,
        **more,
    )


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A project with one run, `tiny`: two setups, two variants, a sweep and a failed cell."""
    levels = [
        Level(users=1, rps=9.5, predicted_rps=10.0, requests=95, failures=0),
        Level(users=10, rps=90.0, predicted_rps=100.0, requests=900, failures=0),
    ]
    cells = [
        _cell("one", "sync", 400.0, predicted_rps=400.0, measured_over_predicted=1.0),
        _cell("one", "async", 980.0),
        _cell("two", "sync", 790.5),
        CellResult(setup="two", scenario="sleep", variant="async", users=100, status="failed", reason="x"),
        _cell("one", "async-blocking", 9.0).model_copy(update={"scenario": "swept", "levels": levels}),
    ]
    run = tmp_path / pages.RUNS / "tiny"
    run.mkdir(parents=True)
    RunSummary(cells=cells).save(run)
    (run / "meta.json").write_text(json.dumps({"argv": ["asyncgap", "run", "--quick"]}))
    return tmp_path


def _page(cells: str, body: str = "", indent: str = "") -> str:
    start, end = (
        f"{indent}<!-- asyncgap:table run=tiny cells={cells} -->",
        f"{indent}<!-- /asyncgap:table -->",
    )
    return f"Before.\n\n{start}\n{body}{end}\n\nAfter.\n"


def test_a_page_renders_its_cells_and_a_hand_edit_shows(tiny):
    fresh = pages.regenerated(_page("one/sleep/*"), tiny)
    assert "| one | sleep | sync | 100 | 400.0 | 400.0 | 1.00 |" in fresh
    assert "| one | sleep | async | 100 | 980.0 |" in fresh and "| two |" not in fresh
    assert fresh.startswith("Before.") and fresh.endswith("After.\n")
    assert pages.regenerated(fresh, tiny) == fresh  # a current page stays as it is
    edited = fresh.replace("980.0", "990.0")
    assert pages.regenerated(edited, tiny) != edited
    assert pages.regenerated(edited, tiny) == fresh


def test_a_sweep_is_a_row_per_level_and_a_failed_cell_has_no_figures(tiny):
    swept = pages.render(tiny / pages.RUNS / "tiny", "*/swept/*")
    assert [line.split(" | ")[3:5] for line in swept.splitlines()[2:]] == [["1", "9.5"], ["10", "90.0"]]
    failed = pages.render(tiny / pages.RUNS / "tiny", "two/*/async")
    assert "| two | sleep | async | 100 | - | - |" in failed


def test_an_indented_marker_keeps_its_indent(tiny):
    fresh = pages.regenerated(_page("two/*/sync", indent="  "), tiny)
    assert "\n  | two | sleep | sync | 100 | 790.5 |" in fresh
    assert "\n  <!-- /asyncgap:table -->" in fresh


def test_columns_chosen_by_heading(tiny):
    page = '<!-- asyncgap:table run=tiny cells=one/sleep/sync columns="variant,rps,cpu ms/req" -->\n'
    fresh = pages.regenerated(page + "<!-- /asyncgap:table -->\n", tiny)
    assert "| variant | rps | cpu ms/req |\n|---|---:|---:|\n| sync | 400.0 | - |\n" in fresh


@pytest.mark.parametrize(
    ("cells", "why"),
    [("one/sleep", "SETUPS/SCENARIOS/VARIANTS"), ("three/*/*", "no setup three"), ("one//*", "empty list")],
)
def test_a_selection_the_run_cannot_answer_is_an_error(tiny, cells, why):
    with pytest.raises(MarkdownError, match=why):
        pages.regenerated(_page(cells), tiny)


def test_cited_runs_are_in_markers_and_prose_links_not_in_code():
    text = _page("*/*/*") + "a ratio of 2.1 (run [sweep](docs/runs/sweep/)) and [x](../runs/bench)"
    example = "\n```\n" + _page("*/*/*").replace("tiny", "example") + "```\n`(run [y](runs/y/))`\n"
    assert pages.cited_runs(text + example) == {"tiny", "sweep", "bench"}
    assert pages.regenerated(example) == example  # an example marker in a code block is left alone


def test_a_bench_run_renders_its_sections(tmp_path):
    run = tmp_path / "bench"
    run.mkdir()
    dog = {"skipped": "no wrk"}
    (run / "bench.json").write_text(json.dumps({"watchdog": dog, "pinned": False, "cores": {}}))
    text = pages.render(run, "watchdog,wake_cost")
    assert text.startswith("### 8. Watchdog cost") and "no wrk" in text
    assert "did not measure the `wake_cost` section" in text
    with pytest.raises(MarkdownError, match="no bench section nope"):
        pages.render(run, "nope")


def test_report_markdown_prints_the_same_table_and_refuses_bad_cells(tiny, capsys):
    run = tiny / pages.RUNS / "tiny"
    assert cli.main(["report", str(run), "--markdown", "--cells", "one/*/*"]) == 0
    assert capsys.readouterr().out == markdown.table(
        RunSummary.model_validate_json((run / "summary.json").read_text()), "one/*/*"
    )
    assert cli.main(["report", str(run), "--markdown", "--cells", "one"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_remeasuring_runs_the_recorded_command_into_a_new_folder():
    argv = ["/old/venv/bin/asyncgap", "run", "--out", "results/x", "--quick", "--out=y"]
    assert remeasure.command(argv, Path("/tmp/n"))[1:] == [
        "-m",
        "asyncgap",
        "run",
        "--quick",
        "--out",
        "/tmp/n",
    ]


def test_a_run_that_fails_again_keeps_its_published_records(tiny, tmp_path):
    run = tiny / pages.RUNS / "tiny"
    (run / "meta.json").write_text(json.dumps({"argv": ["asyncgap", "run", "--setups", "no-such-setup"]}))
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    assert remeasure.remeasure(run, tmp_path / "scratch") is False
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_a_run_without_a_recorded_command_is_refused_before_any_load(tiny):
    (tiny / pages.RUNS / "tiny" / "meta.json").write_text("{}")
    with pytest.raises(ResultsError, match="no recorded command line"):
        remeasure.recorded_argv(tiny / pages.RUNS / "tiny")
