"""The CI example, docs/ci/github-actions.yml, run on this machine so that it cannot rot.

The jobs of a push to main run first, then the jobs of a pull request, each in a workspace of
its own. Every `run:` step runs as GitHub runs it (bash -eo pipefail, the workflow's env), in
order, with GitHub's step rules: after a failed step only `${{ !cancelled() }}` steps run. Only
the cells are narrower: the workflow's own env vars (NARROW) say which. The test stands in for
what needs GitHub: checkout and setup-python are this repository and its venv (the demo jobs
find its matrix.toml through ASYNCGAP_MATRIX; the app jobs get the fixture app as APP), the
install step is the venv's, the baseline lookup is GitHub's API, artifacts are folders copied
(without hidden files, as upload-artifact does), and the JUnit report reads the files its glob
names. An action or a condition it does not know fails the test.
"""

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.paths import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

WORKFLOW = ROOT / "docs" / "ci" / "github-actions.yml"
NARROW = {  # the cells, smaller than the example's (the quick profile): about 30 s of load in all
    "DEMO_ARGS": "--quick --setups uvicorn-1w --variants sync,async --duration 4",
    "APP": "tests.apps.capped:app",
    "APP_DIR": str(ROOT),
    "APP_ARGS": "--quick --users 1,10 --duration 4",  # a level of 3 s may keep under 2 samples
    # Two 4 s runs of the same code minutes apart, on a machine the suite keeps busy: a sync
    # p95 has moved by a third between them. The mechanics are under test, not the runner.
    "REGRESSION_PCT": "50",
}
SHELL = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
AFTER_FAILURE = "${{ !cancelled() }}"
STOOD_IN = {"actions/checkout", "actions/setup-python", "actions/github-script"}
VENV = "venv"  # the outcome of the install step: this repository's venv is installed already


def load() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


@dataclass(frozen=True)
class Job:
    """One job of the workflow, to run in a workspace of its own with the artifacts' folder."""

    workflow: dict
    name: str
    workspace: Path
    artifacts: Path
    narrow: dict[str, str]


def _env(job: Job, step: dict) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "ASYNCGAP_MATRIX"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    if job.name.startswith("demo-"):  # its checkout is asyncgap's repository
        env["ASYNCGAP_MATRIX"] = str(ROOT / "matrix.toml")
    given = {**job.workflow.get("env", {}), **job.narrow, **step.get("env", {})}
    return env | {key: str(value) for key, value in given.items()}


def _action(job: Job, step: dict) -> int:
    """What a `uses:` step does, here: artifacts as folders (a missing path only warns, as
    if-no-files-found defaults to), the JUnit report as a parse of the files its glob finds."""
    action, given = step["uses"].split("@")[0], step.get("with", {})
    if action == "actions/upload-artifact":
        if (job.workspace / given["path"]).is_dir():
            hidden = shutil.ignore_patterns(".*")
            shutil.copytree(job.workspace / given["path"], job.artifacts / given["name"], ignore=hidden)
        return 0
    if action == "actions/download-artifact":
        if not (job.artifacts / given["name"]).is_dir():
            return 1
        shutil.copytree(job.artifacts / given["name"], job.workspace / given["path"])
        return 0
    if action == "mikepenz/action-junit-report":
        for report in job.workspace.glob(given["report_paths"]):
            ET.parse(report)
        return 0
    assert action in STOOD_IN, f"an action this test cannot stand in for: {action}"
    return 0


def _step(job: Job, step: dict) -> int | str:
    if "uses" in step:
        return _action(job, step)
    if step.get("id") == "install":
        assert step["run"].startswith("pip install "), step["run"]
        return VENV
    assert "${{" not in step["run"], f"{step['name']}: an expression in a run step"
    done = subprocess.run(
        [*SHELL, step["run"]],
        cwd=job.workspace,
        env=_env(job, step),
        capture_output=True,
        text=True,
        timeout=300,
    )
    (job.workspace / "logs").mkdir(exist_ok=True)
    (job.workspace / "logs" / f"{step['name']}.log").write_text(done.stdout + done.stderr)
    return done.returncode


def run_job(job: Job) -> list[tuple[str, int | str | None]]:
    """Each step's name and exit status (None: skipped after a failure), in order."""
    job.workspace.mkdir()
    outcomes, failed = [], False
    for step in job.workflow["jobs"][job.name]["steps"]:
        name = step.get("name") or step["uses"].split("@")[0]
        assert step.get("if") in (None, AFTER_FAILURE), f"{name}: a condition this test cannot read"
        if failed and step.get("if") is None:
            outcomes.append((name, None))
            continue
        status = _step(job, step)
        failed = failed or status not in (0, VENV)
        outcomes.append((name, status))
    return outcomes


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> tuple[dict, Path]:
    """A push to main, then a pull request: every job of each, its outcomes and its workspace."""
    workflow, root = load(), tmp_path_factory.mktemp("ci")
    artifacts = root / "artifacts"
    artifacts.mkdir()
    outcomes = {}
    for event in ("push", "pull_request"):
        for job_name, job in workflow["jobs"].items():
            if job["if"] == f"github.event_name == '{event}'":
                outcomes[job_name] = run_job(Job(workflow, job_name, root / job_name, artifacts, NARROW))
    return outcomes, root


def suites(report: Path) -> dict[str, ET.Element]:
    return {suite.get("name"): suite for suite in ET.parse(report).getroot().iter("testsuite")}


def test_the_example_loads_the_quick_profile_and_the_test_narrows_only_its_env_vars():
    workflow = load()
    assert (workflow["env"]["DEMO_ARGS"], workflow["env"]["APP_ARGS"]) == ("--quick", "--quick")
    assert set(NARROW) <= set(workflow["env"])


def test_every_job_ran_on_its_event(ran):
    outcomes, _ = ran
    assert list(outcomes) == ["demo-baseline", "app-baseline", "demo-pull-request", "app-pull-request"]
    assert set(outcomes) == set(load()["jobs"])


def test_main_keeps_its_runs_as_baselines(ran):
    outcomes, root = ran
    for job in ("demo-baseline", "app-baseline"):
        statuses = [status for _, status in outcomes[job]]
        assert statuses == [0, 0, VENV, 0, 0], (outcomes[job], _logs(root / job))
    assert (root / "artifacts" / "asyncgap-demo-baseline" / "summary.json").is_file()
    assert (root / "artifacts" / "asyncgap-app-baseline" / "summary.json").is_file()


def test_the_demo_pull_request_passes_its_thresholds_and_the_comparison(ran):
    outcomes, root = ran
    job = root / "demo-pull-request"
    assert [status for _, status in outcomes["demo-pull-request"]] == [0, 0, VENV, 0, 0, 0, 0, 0, 0], (
        outcomes["demo-pull-request"],
        _logs(job),
    )
    run = suites(job / "ci" / "junit" / "demo-run.xml")
    assert (run["cells"].get("tests"), run["cells"].get("failures")) == ("2", "0")
    assert (run["thresholds"].get("tests"), run["thresholds"].get("failures")) == ("4", "0")
    compared = suites(job / "ci" / "junit" / "demo-compare.xml")["compare"]
    names = {case.get("name") for case in compared.iter("testcase")}
    assert names == {"uvicorn-1w sleep sync 100 users", "uvicorn-1w sleep async 100 users"}
    assert compared.get("failures") == "0"


def test_the_app_pull_request_runs_the_apps_own_traffic_through_the_same_gates(ran):
    """The fixture app's cell is a sweep: its thresholds are judged on the cell, its comparison
    level by level. Its /login hashes a password on the loop (hashlib.scrypt) for longer than the
    watchdog's 20 ms, so the loop gate fails, unless the runner is so fast that the stalls fit
    under 5% of the time. Either way the exit status, the JUnit file and the call site agree,
    and the comparison and the report run after a failed gate."""
    outcomes, root = ran
    job = root / "app-pull-request"
    statuses = dict(outcomes["app-pull-request"])
    run = suites(job / "ci" / "junit" / "app-run.xml")
    assert (run["cells"].get("tests"), run["cells"].get("failures")) == ("1", "0")
    gates = {case.get("name"): case.find("failure") for case in run["thresholds"].iter("testcase")}
    assert set(gates) == {"fail_ratio<0.01", "loop_blocked_share<0.05"}
    assert gates["fail_ratio<0.01"] is None, _logs(job)
    blocked = gates["loop_blocked_share<0.05"]
    expected = 0 if blocked is None else 99
    assert statuses["Load the pull request, with thresholds"] == expected, _logs(job)
    if blocked is not None:
        assert "hashlib.scrypt called from tests/apps/capped.py:" in blocked.get("message")
    compared = suites(job / "ci" / "junit" / "app-compare.xml")["compare"]
    names = [case.get("name") for case in compared.iter("testcase")]
    assert names == [f"uvicorn-1w openapi-gets as-written {users} users" for users in (1, 10)]
    # The same app twice, 4 s a level: the loop-bound level's p95 has moved by half between
    # them. Either way the comparison's exit status and its JUnit file agree.
    regressed = compared.get("failures") != "0"
    after = ["Compare with main", "Publish the JUnit files", "actions/upload-artifact"]
    assert [statuses[name] for name in after] == [1 if regressed else 0, 0, 0], _logs(job)
    if regressed:
        log = (job / "logs" / "Compare with main.log").read_text()
        assert "regression: uvicorn-1w openapi-gets as-written" in log


def test_bad_input_fails_the_pull_request_before_any_load(ran, tmp_path):
    """A narrowing that names no setup: the load step refuses it (exit 2) and writes nothing,
    the comparison then has no run (exit 2), and there is no JUnit file to publish."""
    _, root = ran
    wrong = {**NARROW, "DEMO_ARGS": "--quick --setups no-such-setup"}
    job = Job(load(), "demo-pull-request", tmp_path / "job", root / "artifacts", wrong)
    statuses = dict(run_job(job))
    assert statuses["Load the pull request, with thresholds"] == 2
    assert statuses["Compare with main"] == 2
    log = (job.workspace / "logs" / "Load the pull request, with thresholds.log").read_text()
    assert log.startswith("error: ") and "no-such-setup" in log and len(log.splitlines()) == 1
    assert not (job.workspace / "ci" / "demo-pr").exists()
    assert not list(job.workspace.glob("ci/junit/*.xml"))


def _logs(workspace: Path) -> str:
    return "\n".join(f"--- {log.name}\n{log.read_text()[-1500:]}" for log in sorted(workspace.glob("logs/*")))
