"""advice.json: a run of the user's own app read back as advice, per swept cell and per route.

Each figure here is taken from summary.json (the levels, the model, the watchdog's samples and
the app's routes) by asyncgap/views/advice.py, and each sentence is written from these figures,
so a reader can check any sentence against the numbers beside it.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from asyncgap.core.records import BlockingSite

ADVICE_NAME = "advice.json"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KneeFigures(_Record):
    """Where a curve flattens: the model's knee and the measured one (asyncgap/cell/knee.py), in
    the curve's load: the server's users, or a route's own requests in flight."""

    load: Literal["users", "in flight"]
    model: float | None = None  # None: nothing the server has few of holds it
    model_bound: str | None = None  # the station (or CPU) whose ceiling gives the model's knee
    model_servers: int | None = None  # that station's servers, the whole server's
    measured: float | None = None  # plateau x round trip alone; None: the curve still rose
    measured_level: float | None = None  # the load of the first level on the plateau
    plateau_rps: float | None = None


class CurvePoint(_Record):
    """One level of a curve, measured beside the model's prediction for it."""

    users: int
    in_flight: float | None = None  # a route's: its rate x its mean latency (Little's law)
    rps: float | None = None
    predicted_rps: float | None = None


class RouteAdvice(_Record):
    """One route of the traffic: how it runs, its curve and knees, what held it, what to change."""

    endpoint: str
    station: str
    runs: str  # "loop" or "threads": where its handler runs
    hops: int | None = None  # thread-pool hops a request makes (None: no route of the app matches)
    curve: list[CurvePoint] = Field(default_factory=list)
    knee: KneeFigures
    loop_site: BlockingSite | None = None  # the top loop-blocking site in its own code
    thread_site: BlockingSite | None = None  # where its threads queued, in its own code (views/advice.py)
    thread_sites: list[BlockingSite] = Field(default_factory=list)  # every busy-thread site in its code
    thread_count: float | None = None  # busy threads in its code at the last level
    queued_ms: float | None = None  # its mean latency less its round trip alone, at the last level
    own_queue: bool = False  # it waited 2x as long as every other route, also per ms of CPU
    sentences: list[str] = Field(default_factory=list)


class CellAdvice(_Record):
    """One swept cell (a setup): the server's curve and knees, then each route's advice."""

    cell: str
    setup: str
    curve: list[CurvePoint] = Field(default_factory=list)
    knee: KneeFigures
    sentences: list[str] = Field(default_factory=list)
    routes: list[RouteAdvice] = Field(default_factory=list)


class Advice(_Record):
    """advice.json: the app, and the advice of each of its swept cells."""

    target: str
    cells: list[CellAdvice] = Field(default_factory=list)
    missing: str = ""  # why there is no advice for a cell (not swept, failed), one line each
