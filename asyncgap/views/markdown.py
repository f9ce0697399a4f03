"""A run's cells as a Markdown table, for the docs: the console's columns (asyncgap/views/columns.py),
a sweep level by level, so a published figure is re-rendered from its record, never typed.

Cells are chosen as SETUPS/SCENARIOS/VARIANTS, each a comma list or `*` for all:
`uvicorn-1w,uvicorn-2w/sleep/*`. A name the run does not have is an error, not an empty table."""

from asyncgap.core.records import CellResult, RunSummary
from asyncgap.views import columns
from asyncgap.views.columns import Column

ALL = "*"
PARTS = ("setup", "scenario", "variant")


class MarkdownError(ValueError):
    """A selection or column the run cannot answer: one line for the user."""


def names(text: str) -> tuple[str, ...] | None:
    """A comma list, or None for `*` (all)."""
    if text.strip() == ALL:
        return None
    chosen = tuple(name.strip() for name in text.split(",") if name.strip())
    if not chosen:
        raise MarkdownError(f"empty list {text!r}: give names separated by commas, or {ALL}")
    return chosen


def selection(text: str) -> tuple[tuple[str, ...] | None, ...]:
    """SETUPS/SCENARIOS/VARIANTS, each part a comma list or `*`."""
    parts = text.split("/")
    if len(parts) != len(PARTS):
        raise MarkdownError(f"cells {text!r}: expected SETUPS/SCENARIOS/VARIANTS, e.g. uvicorn-1w/sleep/*")
    return tuple(names(part) for part in parts)


def chosen_cells(cells: list[CellResult], text: str) -> list[CellResult]:
    """The run's cells the selection names, in the order run; every name must be in the run."""
    wanted = selection(text)
    for part, picked in zip(PARTS, wanted, strict=True):
        present = {getattr(cell, part) for cell in cells}
        missing = [name for name in picked or () if name not in present]
        if missing:
            raise MarkdownError(
                f"the run has no {part} {', '.join(missing)} (it has: {', '.join(sorted(present))})"
            )
    return [
        cell
        for cell in cells
        if all(
            picked is None or getattr(cell, part) in picked
            for part, picked in zip(PARTS, wanted, strict=True)
        )
    ]


def chosen_columns(text: str | None) -> tuple[Column, ...]:
    """The console's columns by default, or those named (a comma list of headings)."""
    if text is None:
        return columns.CONSOLE
    picked = names(text) or tuple(columns.BY_NAME)
    unknown = [name for name in picked if name not in columns.BY_NAME]
    if unknown:
        raise MarkdownError(f"no column {', '.join(unknown)}; the columns are: {', '.join(columns.BY_NAME)}")
    return tuple(columns.BY_NAME[name] for name in picked)


def _line(values: list[str]) -> str:
    return "| " + " | ".join(value.replace("|", "\\|") for value in values) + " |"


def table(summary: RunSummary, cells: str = "*/*/*", column_names: str | None = None) -> str:
    """The chosen cells as a Markdown table, a row per cell (a sweep: per level)."""
    picked = chosen_columns(column_names)
    rows = [_line([column.name for column in picked])]
    rows.append("|" + "|".join("---:" if column.numeric else "---" for column in picked) + "|")
    rows += [_line(columns.row(cell, picked)) for cell in columns.shown(chosen_cells(summary.cells, cells))]
    return "\n".join(rows) + "\n"
