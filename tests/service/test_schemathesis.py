"""schemathesis against the service's own OpenAPI schema on a real loopback server.

Every generated request must get no 5xx and an answer that matches the schema. Left out:
the operations whose point is to wait (sleep, the tutorial's sleeps, the query's `ms`, which
SQLite refuses with a 422 and PostgreSQL waits out) or to call the upstream (502/504 are their
documented answers when it is down): a generated ms=60000 would turn a bounded run into an
hour. Their bounds and faults have explicit tests in test_routes.py and test_faults.py.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import allow_header_conformance

from asyncgap.engines.server import free_port, serving
from service.app import create_app

pytestmark = pytest.mark.e2e
EXAMPLES_PER_OPERATION = 25
WAITING = r"/sleep$|/upstream$|/query$|^/slow-|^/call-other-api$"


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schemathesis")
    env = {"ASYNCGAP_DATABASE_URL": f"sqlite:///{folder / 'asyncgap.db'}"}
    with serving("uvicorn-1w", port=free_port(), log_path=folder / "server.log", env=env) as server:
        yield server


# The schema is read from the app object (no lifespan needed); the requests go to the live server.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app()).exclude(path_regex=WAITING)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_5xx_and_every_answer_matches_the_schema(case, live_server):
    # Left out: the Allow header check. GET and POST /{variant}/notes are two routes (two
    # functions), and Starlette's 405 lists only the methods of the first route that matched.
    case.call_and_validate(base_url=live_server.url, excluded_checks=[allow_header_conformance])
