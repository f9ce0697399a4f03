"""The side-by-side section: a row per setup and variant that both databases measured."""

from asyncgap.core.records import CellResult
from asyncgap.views import databases


def cell(scenario: str, variant: str, rps: float, setup: str = "uvicorn-1w") -> CellResult:
    return CellResult(
        setup=setup,
        scenario=scenario,
        variant=variant,
        users=100,
        status="ok",
        rps=rps,
        predicted_rps=rps * 1.1,
    )


def test_rows_pair_the_same_setup_and_variant_and_skip_the_unpaired():
    cells = [
        cell("db", "sync", 500),
        cell("db-pg", "sync", 700),
        cell("db", "async", 480),
        cell("db-pg", "async-blocking", 20),
        cell("sleep", "sync", 400),
    ]
    (row,) = databases.rows(cells)
    assert (row["setup"], row["variant"], row["db"].rps, row["db-pg"].rps) == ("uvicorn-1w", "sync", 500, 700)
    assert "| uvicorn-1w | sync | 500 | 550 | - | 700 | 770 | - |" in databases.markdown(cells)
    assert "aiosqlite" in databases.section(cells)


def test_no_section_without_both_databases():
    assert databases.section([cell("db", "sync", 500)]) == ""
