"""The routes walk, run as the harness runs it: `python -m asyncgap.appside.introspect` in the
app's interpreter and folder, on the fixture app."""

import functools
import json
import os
import subprocess
import sys

import pytest

from asyncgap.appside import routes
from asyncgap.core.stations import OPENAPI_KEY
from tests.paths import ROOT

CAPPED = "tests.apps.capped:app"


def introspect(tmp_path, target: str = CAPPED) -> tuple[subprocess.CompletedProcess, dict | None]:
    out = tmp_path / "found.json"
    done = subprocess.run(
        [sys.executable, "-m", "asyncgap.appside.introspect", target, str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return done, json.loads(out.read_text()) if out.exists() else None


@pytest.fixture(scope="module")
def found(tmp_path_factory) -> dict[str, dict]:
    done, data = introspect(tmp_path_factory.mktemp("walk"))
    assert done.returncode == 0, done.stderr
    return {f"{r['method']} {r['path']}": r for r in data["routes"]} | {"_": data}


def test_a_def_route_behind_a_sync_generator_runs_in_the_pool_and_hops_four_times(found):
    pooled = found["GET /pooled"]
    assert pooled["runs"] == "threads"
    steps = [(s["call"].rsplit(".", 1)[-1], s["where"], s["role"]) for s in pooled["steps"]]
    assert steps == [
        ("connection", "threads", "setup"),  # the generator's setup: a token, checking out of the pool
        ("settings", "threads", "dependency"),  # a plain def dependency: a token
        ("pooled", "threads", "handler"),
        ("pooled", "threads", "response"),  # a def handler's response model is validated in the pool
        ("connection", "thread", "teardown"),  # its own limiter: a thread, no token
    ]
    assert (pooled["hops"], pooled["teardown_threads"]) == (4, 1)
    assert pooled["handler"].startswith("tests/apps/capped.py:")


def test_async_routes_run_on_the_loop_without_hops(found):
    for route in ("GET /login", "GET /ready"):
        assert (found[route]["runs"], found[route]["hops"]) == ("loop", 0), route


def test_an_included_routers_own_def_dependency_is_a_hop_before_an_async_handler(found):
    summary = found["GET /reports/summary"]  # copied into app.routes up to FastAPI 0.15x, lazy after
    assert (summary["runs"], summary["hops"]) == ("loop", 1)
    assert [s["call"].rsplit(".", 1)[-1] for s in summary["steps"]] == ["audit", "summary"]


def test_the_schema_says_what_a_generated_request_cannot_make_up(found):
    operations = {op["path"]: op["needs"] for op in found["_"]["operations"]}
    assert operations["/pooled"] == [] and operations["/ready"] == []
    assert operations["/items/{item_id}"] == ["path parameters"]
    assert found["_"]["versions"]["fastapi"]  # what the app runs on, recorded


def test_a_secured_get_is_tried_and_a_cached_dependency_is_named_by_its_function(tmp_path):
    """Credentials are not a need the walk can judge (a scheme may be optional): a secured GET is
    left to the probe, with its schemes said; an lru_cache'd dependency is named as written."""
    done, data = introspect(tmp_path, "tests.apps.secured:app")
    assert done.returncode == 0, done.stderr
    operations = {op["path"]: (op["needs"], op["credentials"]) for op in data["operations"]}
    assert operations == {"/articles": ([], ["APIKeyHeader"]), "/me": ([], ["APIKeyHeader"])}
    (articles,) = [r for r in data["routes"] if r["path"] == "/articles"]
    cached = [s for s in articles["steps"] if s["call"].endswith(".settings")]
    assert [s["call"] for s in cached] == ["tests.apps.secured.settings"]
    assert cached[0]["site"].startswith("tests/apps/secured.py:")


def test_an_app_that_does_not_import_exits_3_with_the_error_itself(tmp_path):
    done, data = introspect(tmp_path, "tests.apps.nosuch:app")
    assert done.returncode == 3 and data is None
    assert done.stderr.strip() == (
        "tests.apps.nosuch does not import: ModuleNotFoundError: No module named 'tests.apps.nosuch'"
    )


def test_an_attribute_that_is_not_an_asgi_app_exits_4(tmp_path):
    done, _ = introspect(tmp_path, "tests.apps.capped:POOL")
    assert done.returncode == 4
    assert "tests.apps.capped:POOL is a BoundedSemaphore, not an ASGI app" in done.stderr


def test_the_declared_station_key_is_the_one_the_harness_reads():
    assert routes.STATION_KEY == OPENAPI_KEY


async def _coroutine() -> None: ...


def _generator():
    yield


class _AsyncCallable:
    async def __call__(self) -> None: ...


@pytest.mark.parametrize(
    ("call", "kind", "expected"),
    [
        (functools.partial(_coroutine), "is_coroutine_callable", True),  # judged by what it wraps
        (
            _AsyncCallable(),
            "is_coroutine_callable",
            True,
        ),  # an object, by its __call__ (OAuth2PasswordBearer)
        (_AsyncCallable, "is_coroutine_callable", False),  # a class: its __init__ runs in the pool
        (_generator, "is_gen_callable", True),
        (_generator, "is_coroutine_callable", False),
    ],
)
def test_without_fastapis_own_rule_inspect_judges_as_the_newest_fastapi(call, kind, expected):
    assert routes._own_verdict(kind, call) is expected
