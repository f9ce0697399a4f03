"""JUnit XML: one case per cell, per threshold and per compare verdict, read back as CI reads it."""

import xml.etree.ElementTree as ET

import pytest

from asyncgap.core.records import CellResult
from asyncgap.core.thresholds import ThresholdResult
from asyncgap.views import junit


def cells() -> list[CellResult]:
    ok = CellResult(
        setup="uvicorn-1w",
        scenario="sleep",
        variant="async",
        users=100,
        status="ok",
        rps=1000.0,
        p95_ms=110.0,
        failures=0,
        timings={"load_s": 5.0, "calibrate_s": 1.5},
    )
    failed = CellResult(
        setup="uvicorn-1w", scenario="sleep", variant="sync", users=100, status="failed", reason="server died"
    )
    return [ok, failed]


RESULTS = [
    ThresholdResult(expr="p95_ms<200", cell="uvicorn-1w__sleep__async", value=110.0, passed=True),
    ThresholdResult(
        expr="loop_blocked_share<0.05",
        cell="uvicorn-1w__sleep__async",
        value=0.9,
        passed=False,
        note="loop_blocked_share 0.9 is not < 0.05; most of it in time.sleep called from x.py:1 f (99%)",
    ),
    ThresholdResult(
        expr="p95_ms<200",
        cell="uvicorn-1w__sleep__sync",
        value=None,
        passed=False,
        note="not evaluated: the cell failed (server died)",
    ),
]

ROWS = [
    {
        "setup": "uvicorn-1w",
        "scenario": "sleep",
        "variant": "sync",
        "users": 100,
        "verdict": "slower",
        "rps_change": -0.25,
        "p95_verdict": "higher",
        "p95_change": 0.33,
    },
    {
        "setup": "uvicorn-1w",
        "scenario": "sleep",
        "variant": "async",
        "users": 100,
        "verdict": "not significant",
        "rps_change": 0.01,
        "p95_verdict": "not significant",
        "p95_change": 0.02,
    },
    {
        "setup": "uvicorn-1w",
        "scenario": "sleep",
        "variant": "async-blocking",
        "users": 100,
        "verdict": "failed in one run",
    },
]


def written(tmp_path, percent: float | None = 10) -> ET.Element:
    path = tmp_path / "ci" / "junit.xml"
    junit.check_writable(path)
    junit.write(
        path,
        {
            "cells": junit.cell_cases(cells()),
            "thresholds": junit.threshold_cases(RESULTS),
            "compare": junit.compare_cases(ROWS, percent),
        },
    )
    return ET.parse(path).getroot()


def suite(root: ET.Element, name: str) -> ET.Element:
    return next(s for s in root.iter("testsuite") if s.get("name") == name)


def failures(s: ET.Element) -> dict[str, str]:
    return {
        c.get("name"): c.find("failure").get("message")
        for c in s.iter("testcase")
        if c.find("failure") is not None
    }


def test_one_case_per_cell_a_failed_cell_fails(tmp_path):
    cells_suite = suite(written(tmp_path), "cells")
    assert (cells_suite.get("tests"), cells_suite.get("failures")) == ("2", "1")
    assert failures(cells_suite) == {"uvicorn-1w__sleep__sync": "the cell failed: server died"}
    ok = next(c for c in cells_suite.iter("testcase") if c.get("name") == "uvicorn-1w__sleep__async")
    assert ok.get("time") == "6.500"
    assert ok.find("system-out").text == "1,000.0 rps, p95 110.0 ms, 0 failures"


def test_one_case_per_threshold_and_cell_with_its_note(tmp_path):
    thresholds = suite(written(tmp_path), "thresholds")
    assert (thresholds.get("tests"), thresholds.get("failures")) == ("3", "2")
    cases = {(c.get("classname"), c.get("name")): c for c in thresholds.iter("testcase")}
    blocked = cases[("asyncgap.thresholds.uvicorn-1w__sleep__async", "loop_blocked_share<0.05")]
    assert "time.sleep called from x.py:1" in blocked.find("failure").get("message")
    not_evaluated = cases[("asyncgap.thresholds.uvicorn-1w__sleep__sync", "p95_ms<200")]
    assert not_evaluated.find("failure").get("message").startswith("not evaluated")
    assert cases[("asyncgap.thresholds.uvicorn-1w__sleep__async", "p95_ms<200")].find("failure") is None


def test_one_case_per_compare_verdict_regressions_fail(tmp_path):
    compared = suite(written(tmp_path), "compare")
    assert (compared.get("tests"), compared.get("failures"), compared.get("skipped")) == ("3", "1", "1")
    assert failures(compared) == {"uvicorn-1w sleep sync 100 users": "regression: -25.0% rps, +33.0% p95"}


def test_without_fail_on_regression_no_verdict_fails(tmp_path):
    assert suite(written(tmp_path, percent=None), "compare").get("failures") == "0"


def test_an_empty_kind_has_no_suite(tmp_path):
    path = tmp_path / "junit.xml"
    junit.write(path, {"cells": junit.cell_cases(cells()), "thresholds": []})
    assert [s.get("name") for s in ET.parse(path).getroot().iter("testsuite")] == ["cells"]


def test_a_path_that_cannot_be_written_is_one_line(tmp_path):
    with pytest.raises(junit.JUnitError, match="is a folder"):
        junit.check_writable(tmp_path)
    (tmp_path / "file").write_text("")
    with pytest.raises(junit.JUnitError, match="file is a file, not a folder") as caught:
        junit.check_writable(tmp_path / "file" / "ci" / "junit.xml")
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "junit.xml").exists()
