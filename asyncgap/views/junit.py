"""`--junit FILE`: the run's cells, thresholds and compare verdicts as JUnit XML, which GitHub,
GitLab and Jenkins show as test results without a plugin of ours.

One <testsuite> per kind: `cells` (a failed cell is a failure), `thresholds` (one case per
threshold and cell; a failed or not evaluated one is a failure), `compare` (one case per cell
compared; a regression beyond --fail-on-regression is a failure, a cell that failed in either
run is skipped). The file is written once, atomically, and its folder is checked before any
load, so a path that cannot be written costs nothing.
"""

import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from asyncgap.core import gates
from asyncgap.core.files import write_atomic
from asyncgap.core.records import CellResult
from asyncgap.core.thresholds import ThresholdResult
from asyncgap.views import compare


class JUnitError(ValueError):
    """A --junit path that cannot be written; the message is one line."""


@dataclass(frozen=True)
class Case:
    """One test case: its name, and a failure or a skip message when it is not a pass."""

    classname: str
    name: str
    failure: str | None = None
    skipped: str | None = None
    output: str = ""
    time_s: float = 0.0


def _figures(cell: CellResult) -> str:
    if not cell.ok:
        return ""
    p95 = gates.read(cell, "p95_ms")
    return f"{cell.rps:,.1f} rps, p95 {'-' if p95 is None else f'{p95:,.1f}'} ms, {cell.failures} failures"


def cell_cases(cells: list[CellResult]) -> list[Case]:
    return [
        Case(
            classname="asyncgap.cells",
            name=cell.folder,
            failure=None if cell.ok else f"the cell failed: {cell.reason}",
            output=_figures(cell),
            time_s=sum(cell.timings.values()),
        )
        for cell in cells
    ]


def threshold_cases(results: list[ThresholdResult]) -> list[Case]:
    return [
        Case(
            classname=f"asyncgap.thresholds.{result.cell}",
            name=result.expr,
            failure=None if result.passed else result.note or "failed",
            output="" if result.value is None else f"value {result.value:.6g}",
        )
        for result in results
    ]


def compare_cases(rows: list[dict], percent: float | None) -> list[Case]:
    """A case per compared cell; only a regression beyond `percent` (the command's own rule for
    its exit status) fails, so the file and the exit status never disagree."""
    cases = []
    for row in rows:
        name = f"{row['setup']} {row['scenario']} {row['variant']} {row['users']} users"
        worse = compare.regressed(row, percent) if percent is not None else []
        words = f"rps {row['verdict']}, p95 {row.get('p95_verdict', '-')}"
        cases.append(
            Case(
                classname="asyncgap.compare",
                name=name,
                failure=f"regression: {', '.join(worse)}" if worse else None,
                skipped=row["verdict"] if row["verdict"] == "failed in one run" else None,
                output=words,
            )
        )
    return cases


def document(suites: dict[str, list[Case]]) -> ET.Element:
    """<testsuites> with one <testsuite> per non-empty kind."""
    root = ET.Element("testsuites", name="asyncgap")
    for suite_name, cases in suites.items():
        if not cases:
            continue
        failures = sum(c.failure is not None for c in cases)
        skipped = sum(c.skipped is not None and c.failure is None for c in cases)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=suite_name,
            tests=str(len(cases)),
            failures=str(failures),
            errors="0",
            skipped=str(skipped),
            time=f"{sum(c.time_s for c in cases):.3f}",
        )
        for case in cases:
            _case(suite, case)
    return root


def _case(suite: ET.Element, case: Case) -> None:
    element = ET.SubElement(
        suite, "testcase", classname=case.classname, name=case.name, time=f"{case.time_s:.3f}"
    )
    if case.failure is not None:
        ET.SubElement(element, "failure", message=case.failure).text = case.failure
    elif case.skipped is not None:
        ET.SubElement(element, "skipped", message=case.skipped)
    if case.output:
        ET.SubElement(element, "system-out").text = case.output


def write(path: Path, suites: dict[str, list[Case]]) -> Path:
    root = document(suites)
    ET.indent(root)
    return write_atomic(path, ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n")


def check_writable(path: Path) -> None:
    """Refuse, before any load, a --junit path that cannot be written (JUnitError, one line):
    a folder, a file under something that is not a folder, a folder that refuses a new file."""
    if path.is_dir():
        raise JUnitError(f"--junit {path} is a folder; give a file name, e.g. {path / 'junit.xml'}")
    for ancestor in path.parents:
        if ancestor.exists() and not ancestor.is_dir():
            raise JUnitError(f"cannot write --junit {path}: {ancestor} is a file, not a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}."):
            pass
    except OSError as exc:
        raise JUnitError(f"cannot write --junit {path}: {exc.strerror or exc}") from None
