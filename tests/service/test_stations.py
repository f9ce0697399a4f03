"""Every endpoint declares its station where it is defined; the harness reads it from /openapi.json."""

import pytest

from asyncgap.core.stations import OPENAPI_KEY, STATIONS
from service.app import create_app


def operations() -> dict[str, dict]:
    schema = create_app().openapi()
    return {
        f"{method.upper()} {path}": operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    }


def test_every_endpoint_in_the_schema_declares_a_known_station():
    undeclared = [name for name, op in operations().items() if op.get(OPENAPI_KEY) not in STATIONS]
    assert undeclared == []


@pytest.mark.parametrize(
    ("operation", "station"),
    [
        ("GET /sync/sleep", "threads"),
        ("GET /async/sleep", "delay"),
        ("GET /async-blocking/sleep", "loop"),
        ("POST /async-blocking/notes", "loop"),
        ("GET /async/cpu", "pool"),
        ("GET /sync/cpu", "threads"),
        ("GET /async/upstream", "delay"),
        ("GET /async/notes", "db"),
        ("GET /async/query", "db"),
        ("GET /sync/query", "threads"),
        ("GET /fast", "loop"),
        ("GET /slow-blocking", "threads"),
        ("GET /slow-non-blocking", "delay"),
        ("GET /hello", "loop"),
    ],
)
def test_the_station_follows_how_the_work_is_called(operation, station):
    assert operations()[operation][OPENAPI_KEY] == station
