"""What a run of the user's own app (`asyncgap run --app`) found out about the app before any
load: how each route runs and the thread-pool hops a request makes (from its dependency tree,
asyncgap.appside.routes), which endpoints the traffic uses and which it left out, and why.

It is recorded once per run in summary.json (`app`), beside the cells: the advice and the model's
use of hops read it from there. A route's station for the model is the one it declares
(`x-asyncgap-station`), else `threads` for a handler FastAPI runs in the pool, else `delay`: an
`async def` holds the loop for its CPU, which the model's CPU bound already counts; a blocking
wait inside one is not seen here but in the watchdog's samples.
"""

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from asyncgap.core.names import endpoint_key
from asyncgap.core.stations import STATIONS, Station

Runs = Literal["loop", "threads"]
Traffic = Literal["locustfile", "openapi"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Step(_Record):
    """One call a request makes, in order: `threads` holds a token, `thread` is a worker thread of
    its own limiter (a sync generator's teardown), `loop` runs on the event loop."""

    call: str
    where: Literal["loop", "threads", "thread"]
    role: Literal["dependency", "setup", "teardown", "handler", "response"]
    site: str = ""


class RouteShape(_Record):
    """One endpoint as the app's own FastAPI would run it."""

    method: str
    path: str
    handler: str  # relpath:line module.function
    runs: Runs
    declared: Station | None = None
    station: Station  # what the model uses: declared, else from `runs`
    hops: int  # calls that each hold a thread-pool token, in turn
    teardown_threads: int = 0  # sync generator teardowns: a thread each, outside the tokens
    steps: list[Step] = Field(default_factory=list)


class LeftOut(_Record):
    endpoint: str
    why: str


class AppFindings(_Record):
    """summary.json's `app`: the app, what it runs on, its routes, and the traffic chosen."""

    target: str  # MODULE:ATTR
    versions: dict[str, str | None] = Field(default_factory=dict)
    routes: dict[str, RouteShape] = Field(default_factory=dict)  # endpoint key -> shape
    routes_missing: str = ""
    traffic: Traffic
    locustfile: str  # the user's, or the generated one's name in the run folder
    endpoints: list[str] = Field(default_factory=list)  # what the generated traffic calls
    left_out: list[LeftOut] = Field(default_factory=list)


def station_for(runs: Runs, declared: str | None) -> Station:
    """The station the model gives a route: its declaration wins."""
    if declared in STATIONS:
        return declared  # type: ignore[return-value]
    return "threads" if runs == "threads" else "delay"


def shapes(found: list[dict]) -> dict[str, RouteShape]:
    """The introspection's routes (asyncgap.appside.routes' JSON) by endpoint key."""
    out = {}
    for route in found:
        declared = route.get("declared") if route.get("declared") in STATIONS else None
        station = station_for(route["runs"], declared)
        fields = {
            k: route[k] for k in ("method", "path", "handler", "runs", "hops", "teardown_threads", "steps")
        }
        out[endpoint_key(route["method"], route["path"])] = RouteShape(
            **fields, declared=declared, station=station
        )
    return out


def _pattern(path: str) -> re.Pattern:
    """A route template as a regex: {name} one segment, {name:path} the rest of the path."""
    parts = re.split(r"(\{[^}]*\})", path)
    regex = "".join(
        (".+" if part.endswith(":path}") else "[^/]+") if part.startswith("{") else re.escape(part)
        for part in parts
    )
    return re.compile(f"^{regex}$")


def route_for(key: str, routes: dict[str, RouteShape], reached: str | None = None) -> RouteShape | None:
    """The route a request's endpoint key (Locust's method and name) reaches: its template
    itself, or the first template its path (less any query) matches. `reached`, the key of the
    URL a request of it was sent to (its method and path), comes first when calibration saw
    one: a name is a label (`name="/items/[id]"`, `name="Open an item"`), the URL is the route."""
    if reached is not None and reached != key and (route := route_for(reached, routes)):
        return route
    if key in routes:
        return routes[key]
    method, _, path = key.rpartition(" ")
    path = path.split("?", 1)[0]
    for route in routes.values():
        if route.method == (method or "GET") and _pattern(route.path).match(path):
            return route
    return None
