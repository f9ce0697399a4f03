"""`asyncgap run --app` on the fixture app (tests/apps/capped.py): a short sweep down the demo's cell
path, the routes' stations and hops recorded, the environment passed and its values never written;
then a sweep with a user class per route, whose advice finds the pool of 5 behind /pooled."""

import json
import subprocess
from pathlib import Path

import pytest

from asyncgap.cell.knee import Point, rises
from asyncgap.core.advice import ADVICE_NAME, Advice
from asyncgap.core.records import CellResult, load_summary
from asyncgap.views import blocking as view
from tests.apps.capped import POOL_SIZE
from tests.cli import asyncgap_app
from tests.paths import ROOT

pytestmark = pytest.mark.e2e

LEVELS = [1, 5, 10, 20]
SPLIT_LEVELS = [3, 6, 15, 30]  # /pooled gets 2 users in 3 (tests/apps/capped_users.py): 2 to 20
FILE_SECRET = "file-secret-6b1d9e"  # FIXTURE_SECRET, from --env-file: /health answers 503 without it
ARGV_SECRET = "argv-secret-0c4f27"  # from --env


CAPPED = "tests.apps.capped:app"


def env_file(work: Path) -> Path:
    path = work / "app.env"
    path.write_text(
        f'# the fixture\'s secret\nFIXTURE_SECRET="{FILE_SECRET}"\nFIXTURE_REGION=${{MISSING:-eu}}\n'
    )
    return path


@pytest.fixture(scope="module")
def app_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    work = tmp_path_factory.mktemp("own-app")
    out = work / "run"
    done = asyncgap_app(
        work,
        CAPPED,
        "--env-file",
        str(env_file(work)),
        "--env",
        f"API_TOKEN={ARGV_SECRET}",
        "--health",
        "/health",
        "--setups",
        "uvicorn-1w",
        "--users",
        ",".join(map(str, LEVELS)),
        "--duration",
        "4",  # a level's steady window holds the sampler's readings even on a busy machine
        "--out",
        str(out),
    )
    return done, out


def test_the_run_measures_every_level_of_the_apps_own_traffic(app_run):
    done, out = app_run
    assert done.returncode == 0, done.stderr[-2000:]
    (cell,) = load_summary(out).cells
    assert (cell.setup, cell.scenario, cell.variant, cell.status) == (
        "uvicorn-1w",
        "openapi-gets",
        "as-written",
        "ok",
    )
    assert [level.users for level in cell.levels] == LEVELS
    assert all(level.rps and level.predicted_rps for level in cell.levels)
    assert {"/pooled", "/login", "/ready", "/health"} <= set(cell.endpoints)
    assert (out / "report.html").is_file() and (out / "meta.json").is_file()


def test_the_summary_records_the_stations_and_hops_found(app_run):
    _, out = app_run
    app = load_summary(out).app
    assert app is not None and app.target == "tests.apps.capped:app" and app.traffic == "openapi"
    pooled, login, ready = (app.routes[key] for key in ("/pooled", "/login", "/ready"))
    assert (pooled.runs, pooled.station, pooled.hops, pooled.teardown_threads) == ("threads", "threads", 4, 1)
    assert (login.runs, login.station, login.hops) == ("loop", "delay", 0)
    assert (ready.runs, ready.hops) == ("loop", 0)
    assert pooled.handler.startswith("tests/apps/capped.py:")
    assert [(item.endpoint, item.why) for item in app.left_out] == [
        ("/items/{item_id}", "needs path parameters")
    ]
    calibration = load_summary(out).cells[0].model.inputs.endpoints
    assert calibration["/pooled"].station == "threads" and calibration["/ready"].station == "delay"


def test_the_watchdog_tells_the_pools_wait_from_the_hashing_on_the_loop(app_run):
    """Threads queue for the capped pool (asleep in its semaphore's Condition), while the loop
    hashes on the CPU: waiting and working, told apart, in the summary and on the dashboard."""
    _, out = app_run
    (cell,) = load_summary(out).cells
    top = cell.threads[0]
    assert (top.callee, top.state, top.innermost) == (
        "threading.Semaphore.acquire",
        "waiting",
        "threading.Condition.wait",
    )
    assert top.site.startswith("tests/apps/capped.py:") and top.site.endswith(" connection")
    (hashing,) = [site for site in cell.blocking if site.callee == "hashlib.scrypt"]
    # working: on the CPU, or (on a machine busy with other work) ready and waiting for a core
    assert hashing.site.endswith(" login") and hashing.state in ("cpu", "core")
    assert cell.blocking[0] == hashing  # what blocked the loop most was the hashing
    dashboard = (out / "report.html").read_text()
    assert f"{view.doing(top, share=True)}</td>" in dashboard
    assert f"{view.doing(hashing, share=True)}</td>" in dashboard


def test_the_left_out_endpoints_are_said_on_the_console(app_run):
    done, _ = app_run
    assert "left out /items/{item_id}: needs path parameters" in done.stderr


def test_env_values_are_never_written_only_their_names(app_run):
    _, out = app_run
    meta = json.loads((out / "meta.json").read_text())
    assert meta["app"]["env_names"] == ["API_TOKEN", "FIXTURE_REGION", "FIXTURE_SECRET"]
    assert "API_TOKEN=..." in meta["argv"]
    written = [path for path in out.rglob("*") if path.is_file()]
    assert len(written) > 10
    for path in written:
        text = path.read_bytes()
        assert FILE_SECRET.encode() not in text and ARGV_SECRET.encode() not in text, path


def test_an_app_that_does_not_answer_its_health_url_is_one_line_with_its_log(tmp_path):
    done = asyncgap_app(
        tmp_path, CAPPED, "--health", "/health", "--setups", "uvicorn-1w", "--out", str(tmp_path / "run")
    )
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: the app did not answer GET /health below 500 (")
    assert "its log ends: " in line
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def split_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """/pooled and /ready, each with users of its own, so each route's curve is its own."""
    work = tmp_path_factory.mktemp("own-app-split")
    out = work / "run"
    done = asyncgap_app(
        work,
        CAPPED,
        "--env-file",
        str(env_file(work)),
        "--health",
        "/health",
        "--locustfile",
        str(ROOT / "tests" / "apps" / "capped_users.py"),
        "--setups",
        "uvicorn-1w",
        "--users",
        ",".join(map(str, SPLIT_LEVELS)),
        "--duration",
        "4",
        "--out",
        str(out),
    )
    return done, out


def routes_advice(out: Path) -> dict:
    (cell,) = Advice.model_validate_json((out / ADVICE_NAME).read_text()).cells
    return {route.endpoint: route for route in cell.routes}


def test_the_capped_route_flattens_near_its_pool_and_the_wait_is_named_in_the_fixture(split_run):
    done, out = split_run
    assert done.returncode == 0, done.stderr[-2000:]
    pooled = routes_advice(out)["/pooled"]
    assert pooled.hops == 4 and pooled.knee.model_bound == "threads"
    assert pooled.knee.model == pytest.approx(40, rel=0.15)  # 40 tokens, held for its whole round trip
    assert pooled.knee.measured is not None
    assert 0.6 * POOL_SIZE <= pooled.knee.measured <= 1.6 * POOL_SIZE
    site = pooled.thread_site
    assert site is not None and "Semaphore.acquire" in site.callee
    assert site.site.startswith("tests/apps/capped.py:") and site.site.endswith(" connection")
    limiter = [s for s in pooled.sentences if s.startswith("It flattens at")]
    assert limiter and f"in {site.callee} ← {site.site}" in limiter[0]
    assert f"limiter: uvicorn-1w /pooled: {limiter[0]}" in done.stderr  # said on the console too


def test_the_non_blocking_route_rises_and_the_dashboard_carries_the_advice(split_run):
    _, out = split_run
    ready = routes_advice(out)["/ready"]
    assert ready.knee.measured is None and ready.knee.model is None
    round_trip_s = load_summary(out).cells[0].model.inputs.endpoints["/ready"].round_trip_ms / 1000
    assert rises([Point(p.in_flight or 0.0, p.rps or 0.0) for p in ready.curve], round_trip_s)
    page = (out / "report.html").read_text()
    assert "Advice for tests.apps.capped:app" in page and "/pooled: threads, 4 hop(s)" in page


def run_traffic(tmp_path: Path, locustfile: str) -> tuple[subprocess.CompletedProcess, Path]:
    """A run of one cell of 10 users of a traffic file of tests/apps/ on the fixture app, and its folder."""
    out = tmp_path / "run"
    done = asyncgap_app(
        tmp_path,
        CAPPED,
        "--env-file",
        str(env_file(tmp_path)),
        "--health",
        "/health",
        "--locustfile",
        str(ROOT / "tests" / "apps" / locustfile),
        "--setups",
        "uvicorn-1w",
        "--users",
        "10",
        "--duration",
        "4",
        "--out",
        str(out),
    )
    return done, out


def one_cell_of(tmp_path: Path, locustfile: str) -> CellResult:
    """The one cell of run_traffic, run to the end."""
    done, out = run_traffic(tmp_path, locustfile)
    assert done.returncode == 0, done.stderr[-2000:]
    (cell,) = load_summary(out).cells
    return cell


def test_a_locustfile_that_names_a_host_of_its_own_fails_its_cell_before_any_load(tmp_path):
    """Its URLs ignore the run's host (tests/apps/elsewhere_users.py), so its load would go to
    another server: the check names where the calls went, once for the endpoints that share it,
    and that server gets the check's one call of each task, no batch and no burst."""
    done, out = run_traffic(tmp_path, "elsewhere_users.py")
    assert done.returncode == 1, done.stderr[-2000:]
    (cell,) = load_summary(out).cells
    assert not cell.ok and cell.rps is None
    assert cell.reason is not None and cell.reason.startswith(
        "URL check failed: /ready, /reports/summary: sent to http://127.0.0.1:9, not to the app "
        "under test at http://127.0.0.1:"
    )
    assert cell.reason.count("sent to") == 1
    assert cell.dir is not None
    found = json.loads((out / cell.dir / "verify.json").read_text())["endpoints"]
    assert {name: e["requests"] for name, e in found.items()} == {"/ready": 1, "/reports/summary": 1}
    assert "Traceback" not in done.stderr


def test_users_that_think_between_calls_are_predicted_with_their_wait_time(tmp_path):
    """The locustfile's wait_time enters the model: 20 ms calls, then 500 ms of think time on
    average or a pace of 100 ms, give 5 users of each class about 10 and 50 rps, 60 in all: not
    the 480 of users who never wait, nor the 32 of a cycle averaged by the classes' weights."""
    cell = one_cell_of(tmp_path, "thinking_users.py")
    ready = cell.model.inputs.endpoints["/ready"]
    # by rate: 500 ms after a 520 ms cycle, and 100 - ~21 after a 100 ms one: ~147, not ~290
    assert 110 < ready.think_ms < 190, ready.think_ms
    assert cell.model.bound == "connections"
    assert 45 < cell.predicted_rps < 75, cell.model.bounds_rps
    assert 0.8 < cell.measured_over_predicted < 1.2, (cell.rps, cell.predicted_rps, cell.reason)
    # the users start spread over the longest cycle of a class: 520 ms (the other's is 100 ms)
    found = json.loads((tmp_path / "run" / cell.folder / "verify.json").read_text())
    assert 0.45 < found["user_cycle_s"] < 0.6, found["user_cycle_s"]


def test_a_locustfile_of_tasksets_is_calibrated_task_by_task_after_its_test_start(tmp_path):
    """Its test_start listener fills what its tasks read, in calibration as under the load.
    A TaskSet's functions stand in its place, and a SequentialTaskSet is one task of two calls
    (tests/apps/taskset_users.py): one user class calls /ready (the other of its TaskSet's
    tasks only interrupts), the other /ready then /reports/summary, so the classes' users send
    /ready at 1 / R_ready and 1 / (R_ready + R_summary) a user, and /reports/summary at the
    latter: shares by rate, not the 7/11 and 4/11 the weights alone give. The summary's
    requests carry a label for a name, and their URL finds their route."""
    cell = one_cell_of(tmp_path, "taskset_users.py")
    assert cell.ok, cell.reason
    endpoints = cell.model.inputs.endpoints
    summary = endpoints["Read the summary"]
    assert summary.reached == "/reports/summary" and summary.station == "delay"
    assert summary.hops == 1  # its route's own `def` dependency, found by the URL
    shares = {name: e.share for name, e in endpoints.items()}
    browsing = 1 / endpoints["/ready"].round_trip_ms
    flow = 1 / (endpoints["/ready"].round_trip_ms + summary.round_trip_ms)
    by_rate = {
        "/ready": (browsing + flow) / (browsing + 2 * flow),
        "Read the summary": flow / (browsing + 2 * flow),
    }
    assert shares == pytest.approx(by_rate, rel=0.02)
    assert 0.75 < cell.measured_over_predicted < 1.25, (cell.rps, cell.predicted_rps, cell.reason)
