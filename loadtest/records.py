"""The typed records of a run: `CellResult` per cell and `RunSummary` for summary.json.

Every module that writes or reads summary.json goes through these models, so a field has
one name and one type, a failed cell has the same fields as a measured one (empty), and a
file from another version of asyncgap loads or fails with one line, never half-read.

Schema versions: 1 had no `schema_version` key (runs before typed records) and loads, with
the fields added since left empty; 2 added `schema_version`, `error_file`, `model` (the
prediction, its inputs and bounds) and `server_cpu_ms_per_request`, then `levels` (a
sweep's; empty in older files and in single-level cells, so those load as they were), then
`blocking`, `threads`, `loop_blocked_share`, `threads_busy_mean` and `blocking_missing` (the
watchdog's; None in older files, which read as "no blocking data").
"""

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.matrix import one_line
from core.stations import Station
from core.variants import Variant
from loadtest.files import write_json

SCHEMA_VERSION = 2
SUMMARY_NAME = "summary.json"
ERROR_NAME = "error.txt"  # a failed cell's traceback, in its folder


class ResultsError(ValueError):
    """A results folder or file that cannot be used; the message is one line."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FailureReason(_Record):
    """One kind of failed request, as Locust counted it."""

    name: str
    error: str
    count: int


class WorkerEvent(_Record):
    """One kind of thing the server's supervisor did to its workers (loadtest/supervision.py)."""

    event: str
    count: int
    example: str = ""


class EndpointFigures(_Record):
    """One endpoint's share of a cell: what Locust measured and what theory gave it."""

    method: str = ""
    requests: int
    failures: int
    rps: float
    mean_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    predicted_rps: float | None = None
    service_ms: float | None = None  # the fastest of a few calls on the idle server


class EndpointCalibration(_Record):
    """One endpoint measured alone on the idle server, before the load (loadtest/calibration.py)."""

    method: str
    station: Station
    share: float  # of the scenario's requests, from its task weights
    round_trip_ms: float  # the fastest call, as the load generator sees it
    service_ms: float  # the part of it spent holding the endpoint's station
    cpu_ms_alone: float  # CPU of the server's process tree per request, one request at a time
    cpu_ms_busy: float  # the same on a busy server: a call that waits pays no wake from idle
    db_cpu_ms: float = 0.0  # the database server's CPU per request alone (PostgreSQL; SQLite's is in-process)
    db_cpu_ms_busy: float | None = None  # the same on a busy database: a call that waits pays no wake


Bound = Literal["connections", "threads", "loop", "pool", "cpu", "db"]


class ModelInputs(_Record):
    """Everything a prediction is made from: the calibration and the server's configuration,
    plus the connection split (a fact about the kernel, measured under load; even before it)."""

    users: int
    workers: int
    thread_tokens: int
    pool_processes: int
    cores: int
    connections: list[int]
    endpoints: dict[str, EndpointCalibration]
    db_connections: int | None = None  # a worker's database pool (asyncpg's); None: no ceiling


class Model(_Record):
    """A cell's prediction: every station's bound, the one that binds, and why theory missed."""

    bound: Bound
    bounds_rps: dict[Bound, float]
    inputs: ModelInputs
    reason: str = ""  # a measured explanation when measured/predicted is outside +-10%, else empty

    @property
    def predicted_rps(self) -> float:
        return self.bounds_rps[self.bound]


class BlockingSite(_Record):
    """Where time went (loadtest/blocking.py): the event loop blocked, or a thread busy, in
    `callee` called from `site` (relpath:line function), and its share of all such time."""

    site: str
    callee: str
    blocked_s: float
    share: float


class Level(_Record):
    """One level of a sweep: what its steady seconds measured (its warm-up discarded) beside what
    the model predicted for its users before the load, from the cell's calibration alone."""

    users: int
    requests: int | None = None
    failures: int | None = None
    rps: float | None = None
    rps_ci95_pct: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    fast_p95_ms: float | None = None  # the /fast probe: a starved loop shows here first
    predicted_rps: float | None = None  # with the level's measured connection split, as a cell's
    predicted_latency_ms: float | None = None  # users / predicted_rps (Little's law, no think time)
    measured_over_predicted: float | None = None
    bound: Bound | None = None
    reason: str = ""  # why theory missed the level, in measured facts (loadtest/explain.py)
    server_cpu_ms_per_request: float | None = None
    connections_per_worker: list[int] = Field(default_factory=list)
    generator_bound: bool = False
    blocking: list[BlockingSite] | None = None  # None: no blocking data (blocking_missing says why)
    loop_blocked_share: float | None = None


class CellResult(_Record):
    """One cell: what was asked, then what was measured and predicted (None when it failed)."""

    setup: str
    scenario: str
    variant: Variant
    users: int
    duration_s: float | None = None
    warmup_s: float | None = None
    repeat: int = 1
    converge_pct: float | None = None
    dir: str | None = None  # the cell's folder in its run
    status: Literal["ok", "failed"]
    reason: str | None = None  # why it failed, one line first
    error_file: str | None = None  # its traceback, relative to the run folder
    requests: int | None = None
    failures: int | None = None
    rps: float | None = None
    mean_ms: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    predicted_rps: float | None = None
    predicted_rps_even_split: float | None = None
    measured_over_predicted: float | None = None
    model: Model | None = None
    server_cpu_ms_per_request: float | None = None  # under the load, all endpoints together
    steady_s: int | None = None
    rps_ci95_pct: float | None = None
    connections_per_worker: list[int] = Field(default_factory=list)
    server_cores_busy: float | None = None
    generator_cores_busy: float | None = None
    generator_bound: bool = False
    loop_lag_max_ms: float | None = None
    loop_lag_median_ms: float | None = None
    tokens_busy_max: float | None = None
    failure_reasons: list[FailureReason] = Field(default_factory=list)
    server_events: list[WorkerEvent] = Field(default_factory=list)
    endpoints: dict[str, EndpointFigures] = Field(default_factory=dict)
    locust_report: str | None = None
    timings: dict[str, float] = Field(default_factory=dict)  # seconds in each phase of the cell
    repeats: int = 1  # after merging repeats: how many were merged, and each one's rps
    rps_repeats: list[float] = Field(default_factory=list)
    levels: list[Level] = Field(default_factory=list)  # a sweep's, lowest first; the figures above: its last
    blocking: list[BlockingSite] | None = None  # where the loop was blocked; None: no blocking data
    threads: list[BlockingSite] | None = None  # what busy thread-pool threads did (thread-seconds)
    loop_blocked_share: float | None = None  # of the steady window, averaged over workers
    threads_busy_mean: float | None = None  # threads running application code, all workers
    blocking_missing: str = ""  # why there are no blocking figures ("no blocking data: ...")
    db_cores_busy: float | None = None  # the database server's CPU under the load (PostgreSQL)
    db_cpu_ms_per_request: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def identity(self) -> tuple[str, str, str, int]:
        """What makes two cells the same measurement, across repeats and across runs."""
        return self.setup, self.scenario, self.variant, self.users

    @property
    def folder(self) -> str:
        """The cell's folder in its run (runs older than --repeat did not record it)."""
        return self.dir or f"{self.setup}__{self.scenario}__{self.variant}"

    def endpoint(self, name: str) -> EndpointFigures | None:
        return self.endpoints.get(name)


class RunSummary(_Record):
    """summary.json: every cell of a run, in the order run; `complete` is False if interrupted."""

    schema_version: int = SCHEMA_VERSION
    complete: bool = True
    cells: list[CellResult]

    def save(self, run_dir: Path) -> Path:
        return write_json(run_dir / SUMMARY_NAME, self)


def load_summary(run_dir: Path) -> RunSummary:
    """A run folder's summary, any schema up to ours; every failure is one ResultsError line."""
    path = run_dir / SUMMARY_NAME
    if not path.is_file():
        raise ResultsError(f"{run_dir} is not a run folder: no {SUMMARY_NAME} in it")
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path} is unreadable: {exc}") from None
    if not isinstance(data, dict):
        raise ResultsError(f"{path} is not a run summary: it holds a {type(data).__name__}")
    version = data.setdefault("schema_version", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise ResultsError(
            f"{path} has schema_version {version!r}; this asyncgap reads versions 1 to {SCHEMA_VERSION}"
        )
    try:
        return RunSummary.model_validate(data)
    except ValidationError as exc:
        raise ResultsError(f"{path} is not a run summary: {one_line(exc)}") from None
