"""Gates on the command line: every bad threshold or --junit path is one line, exit 2, before any
load and before any results folder; compare's --junit and its p95 regressions."""

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from tests import cli
from tests.paths import ROOT, demo_matrix_text
from tests.views.test_compare_latency import make_run


def asyncgap(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The CLI with `env` added to this process's environment."""
    return cli.asyncgap(*args, env={**os.environ, **(env or {})})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--threshold", "p95<200"],
            "unknown field 'p95' in threshold 'p95<200'; fields: requests, failures",
        ),
        (
            ["--threshold", "p95_ms=200"],
            "malformed threshold 'p95_ms=200': write [@users=N:][/ENDPOINT:]FIELD",
        ),
        (["--threshold", "/fast:loop_blocked_share<1"], "loop_blocked_share is not a figure of an endpoint"),
        (
            ["--threshold", "db_cpu_ms_per_request<2"],
            "db_cpu_ms_per_request is a PostgreSQL figure and cell uvicorn-1w sleep sync has no database",
        ),
        (["--threshold", "@users=40:rps>1"], "no swept cell holds 40 users (levels of this run: none"),
        (
            ["--users", "1,10", "--threshold", "@users=40:rps>1"],
            "no swept cell holds 40 users (levels of this run: 1, 10)",
        ),
        (["--junit", "/sys/asyncgap-junit.xml"], "cannot write --junit /sys/asyncgap-junit.xml: "),
        (["--junit", str(ROOT)], f"--junit {ROOT} is a folder"),
        (["--junit", f"{ROOT}/matrix.toml/junit.xml"], f"{ROOT}/matrix.toml is a file, not a folder"),
    ],
)
def test_bad_gates_are_refused_before_any_load(tmp_path, args, message):
    out = tmp_path / "run"
    done = asyncgap("run", "--quick", *args, "--out", str(out))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not out.exists()


def test_a_bad_threshold_in_the_matrix_is_refused_as_it_loads(tmp_path):
    matrix = tmp_path / "matrix.toml"
    matrix.write_text(demo_matrix_text() + '\n[thresholds]\nall = ["p95<1"]\n')
    done = asyncgap("run", "--quick", "--out", str(tmp_path / "run"), env={"ASYNCGAP_MATRIX": str(matrix)})
    assert done.returncode == 2
    assert (
        done.stderr.startswith("error: matrix.toml: thresholds.all: ")
        and "unknown field 'p95'" in done.stderr
    )


def test_a_threshold_scoped_to_an_unknown_scenario_is_refused(tmp_path):
    matrix = tmp_path / "matrix.toml"
    matrix.write_text(demo_matrix_text() + '\n[thresholds.scenarios]\nslep = ["rps>1"]\n')
    done = asyncgap("run", "--quick", "--out", str(tmp_path / "run"), env={"ASYNCGAP_MATRIX": str(matrix)})
    assert done.returncode == 2
    assert "unknown [thresholds.scenarios] scenario 'slep'" in done.stderr


def test_the_run_help_documents_the_exit_codes_and_the_grammar():
    done = asyncgap("run", "--help")
    text = " ".join(done.stdout.split())
    for words in (
        "99 a threshold failed",
        "2 bad input",
        "1 a cell failed",
        "130",
        "143",
        "129",
        "--junit FILE",
    ):
        assert words in text
    assert "/fast:p95_ms<50" in text


def test_compare_writes_junit_and_fails_on_a_p95_regression(tmp_path):
    base, worse = make_run(tmp_path, "a", seed=1), make_run(tmp_path, "b", slower=1.3, seed=2)
    report = tmp_path / "ci" / "compare.xml"
    done = asyncgap("compare", str(base), str(worse), "--fail-on-regression", "10", "--junit", str(report))
    assert done.returncode == 1, done.stderr
    assert "regression: uvicorn-1w sleep sync: +" in done.stderr and "% p95 at 100 users" in done.stderr
    [case] = ET.parse(report).getroot().iter("testcase")
    assert case.find("failure").get("message").startswith("regression: +")
    shutil.rmtree(tmp_path / "ci")
    same = make_run(tmp_path, "c", seed=3)
    done = asyncgap("compare", str(base), str(same), "--fail-on-regression", "10", "--junit", str(report))
    assert done.returncode == 0, done.stderr
    assert ET.parse(report).getroot().find(".//failure") is None
