"""The published figures: every table between markers in README.md and docs/*.md re-rendered from
the runs committed in docs/runs/, and docs/summary.schema.json written from the records.

A marker names its run and cells; what lies between it and its end is generated:

    <!-- asyncgap:table run=quick cells=uvicorn-1w,uvicorn-2w/sleep/* -->
    <!-- /asyncgap:table -->

A run is a folder docs/runs/NAME/ holding a summary.json (`asyncgap run`; `cells` is
SETUPS/SCENARIOS/VARIANTS, optional `columns` a quoted comma list of headings) or a bench.json
(`asyncgap bench`; `cells` its sections, comma-separated or `*`), and its meta.json.
`make docs` (python -m asyncgap.pages) rewrites the pages; the docs test checks they are current.
"""

import json
import re
import shlex
import sys
from pathlib import Path

from asyncgap.bench import suite
from asyncgap.core import records
from asyncgap.core.files import write_atomic
from asyncgap.views import markdown
from asyncgap.views.markdown import MarkdownError

ROOT = Path(__file__).resolve().parents[1]
RUNS = Path("docs") / "runs"
SCHEMA = Path("docs") / "summary.schema.json"
BENCH_NAME = "bench.json"
MARKER = re.compile(
    r"^(?P<indent>[ \t]*)<!-- asyncgap:table (?P<args>[^\n]*?) -->\n"
    r"(?P<body>.*?)^(?P=indent)<!-- /asyncgap:table -->",
    re.MULTILINE | re.DOTALL,
)
# A figure quoted in a sentence cites its run: (run [NAME](runs/NAME/)), from the README docs/runs/NAME/.
CITED = re.compile(r"\]\((?:\.\./)*(?:docs/)?runs/(?P<name>[\w.-]+)/?\)")
KEYS = {"run", "cells", "columns"}
CODE_BLOCK = re.compile(r"^[ \t]*```.*?^[ \t]*```[^\n]*$", re.MULTILINE | re.DOTALL)  # examples, not markers
CODE_SPAN = re.compile(r"`[^`\n]*`")


def render(run_dir: Path, cells: str | None = None, column_names: str | None = None) -> str:
    """A run's chosen cells (or bench sections; all by default) as Markdown, from its record alone."""
    if not run_dir.is_dir():
        raise records.ResultsError(f"no run folder {run_dir}")
    if (run_dir / BENCH_NAME).is_file() and not (run_dir / records.SUMMARY_NAME).is_file():
        if column_names is not None:
            raise MarkdownError("a bench run has sections, not columns")
        return bench_sections(run_dir, cells or markdown.ALL)
    return markdown.table(records.load_summary(run_dir), cells or "*/*/*", column_names)


def bench_sections(run_dir: Path, sections: str) -> str:
    """The chosen sections of a bench run, as `asyncgap bench` printed them, headings one level down;
    a section the run did not measure says so."""
    try:
        report = json.loads((run_dir / BENCH_NAME).read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise records.ResultsError(f"{run_dir / BENCH_NAME} is unreadable: {exc}") from None
    picked = markdown.names(sections) or suite.SECTIONS
    unknown = [name for name in picked if name not in suite.SECTIONS]
    if unknown:
        raise MarkdownError(
            f"no bench section {', '.join(unknown)}; the sections are: {', '.join(suite.SECTIONS)}"
        )
    parts = [
        suite.MEASUREMENTS[name].markdown(report[name]).replace("## ", "### ", 1)
        if name in report
        else f"*(the run `{run_dir.name}` did not measure the `{name}` section)*"
        for name in picked
    ]
    return "\n\n".join(parts) + "\n"


def _arguments(text: str) -> dict[str, str]:
    """A marker's key=value pairs (a value with spaces is quoted)."""
    try:
        pairs = [word.partition("=") for word in shlex.split(text)]
    except ValueError as exc:
        raise MarkdownError(f"marker {text!r}: {exc}") from None
    found = {key: value for key, _, value in pairs}
    if not {"run", "cells"} <= found.keys() or not found.keys() <= KEYS:
        raise MarkdownError(f"marker {text!r}: expected run=NAME cells=... [columns=...]")
    return found


def regenerated(text: str, root: Path = ROOT) -> str:
    """The page with every marked table rendered afresh from root/docs/runs."""

    def fill(match: re.Match) -> str:
        args, indent = _arguments(match["args"]), match["indent"]
        body = render(root / RUNS / args["run"], args["cells"], args.get("columns"))
        lines = [f"{indent}{line}" if line else "" for line in body.splitlines()]
        start = f"{indent}<!-- asyncgap:table {match['args']} -->"
        return "\n".join([start, *lines, f"{indent}<!-- /asyncgap:table -->"])

    return "".join(part if is_code else MARKER.sub(fill, part) for part, is_code in _parts(text))


def _parts(text: str) -> list[tuple[str, bool]]:
    """The page cut at its fenced code blocks: (text, whether it is a code block)."""
    parts, at = [], 0
    for block in CODE_BLOCK.finditer(text):
        parts += [(text[at : block.start()], False), (block[0], True)]
        at = block.end()
    return [*parts, (text[at:], False)]


def cited_runs(text: str) -> set[str]:
    """The runs a page cites: in its markers and its prose links to docs/runs/NAME/."""
    prose = "".join(CODE_SPAN.sub("", part) for part, is_code in _parts(text) if not is_code)
    return {_arguments(m["args"])["run"] for m in MARKER.finditer(prose)} | {
        m["name"] for m in CITED.finditer(prose)
    }


def pages(root: Path = ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def schema_text() -> str:
    """summary.json's JSON Schema, from the pydantic records."""
    return json.dumps(records.RunSummary.model_json_schema(), indent=2) + "\n"


def main() -> int:
    """`make docs`: rewrite the pages whose tables changed and the schema; render only, no load."""
    fresh = {}
    for page in pages():
        try:
            fresh[page] = regenerated(page.read_text())
        except (MarkdownError, records.ResultsError) as exc:
            print(f"error: {page.relative_to(ROOT)}: {exc}", file=sys.stderr)
            return 2
    for page, text in fresh.items():
        if text != page.read_text():
            write_atomic(page, text)
            print(f"regenerated {page.relative_to(ROOT)}")
    write_atomic(ROOT / SCHEMA, schema_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
