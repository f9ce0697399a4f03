"""The typed records of a run: `CellResult` per cell and `RunSummary` for summary.json.

A cell's record is built from parts, each the product of one step of its path: `Asked` (the
plan), `Figures` (measuring; `WindowFigures` the part a level of a sweep keeps), `Predicted` and
`Recorded` (recording, beside the model), `Outcome` (ok or why not). `Level` and `CellResult`
are made of them, so a figure is declared once, and `fields_of` carries a part from one record
to another by the parts' own fields, never by a list of names.

Every module that writes or reads summary.json goes through these models, so a field has
one name and one type, a failed cell has the same fields as a measured one (empty), and a
file from another version of asyncgap loads or fails with one line, never half-read.

Schema versions and what each added: docs/results-format.md.
"""

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from asyncgap.core.files import write_json
from asyncgap.core.matrix import one_line
from asyncgap.core.ownapp import AppFindings
from asyncgap.core.prediction import Bound, Model
from asyncgap.core.record import Record
from asyncgap.core.thresholds import ThresholdResult
from asyncgap.core.variants import CellVariant

SCHEMA_VERSION = 2
SUMMARY_NAME = "summary.json"
ERROR_NAME = "error.txt"  # a failed cell's traceback, in its folder


class ResultsError(ValueError):
    """A results folder or file that cannot be used; the message is one line."""


class FailureReason(Record):
    """One kind of failed request, as Locust counted it."""

    name: str
    error: str
    count: int


class WorkerEvent(Record):
    """One kind of thing the server's supervisor did to its workers (asyncgap/engines/supervision.py)."""

    event: str
    count: int
    example: str = ""


class EndpointFigures(Record):
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
    service_ms: float | None = None  # its time at its station, from a batch of calls on the idle server
    p50_ms_exact: float | None = None  # from the HDR histograms, beside Locust's rounded figures
    p95_ms_exact: float | None = None
    p99_ms_exact: float | None = None
    p999_ms_exact: float | None = None


NO_APP_FRAME = "(no application frame)"  # the site asyncgap.watch.callsite writes (it imports no core)


DOING = {  # a site's state (asyncgap/watch/threadstate.py), in words
    "cpu": "working on the CPU",
    "core": "waiting for a CPU core",
    "waiting": "waiting for a lock",
    "io": "waiting on I/O",
    "gil": "waiting for the GIL",
}


class BlockingSite(Record):
    """Where time went (asyncgap/cell/blocking.py): the event loop blocked, or a thread busy, in
    `callee` called from `site` (relpath:line function), and its share of all such time. What its
    samples mostly did (asyncgap/watch/threadstate.py): `state` cpu, core (ready, no core free),
    waiting (a lock, a pool's connection), io or gil, in the `innermost` frame (e.g.
    threading.Condition.wait), for `state_share` of the site's classified time; None when no
    sample was classified."""

    site: str
    callee: str
    blocked_s: float
    share: float
    state: str | None = None
    innermost: str | None = None
    state_share: float | None = None
    # the loop's sites: the application frames that called the site's ("relpath function"), each
    # with the share of its time it was on the stack, so a helper's call is tied to its handler
    callers: dict[str, float] = Field(default_factory=dict)

    @property
    def in_application(self) -> bool:
        """Whether an application frame was on the stack: the one place a user can change."""
        return self.site != NO_APP_FRAME

    def doing(self) -> str:
        """`waiting for a lock in threading.Condition.wait`; empty when no sample was classified."""
        if self.state is None:
            return ""
        words = DOING.get(self.state, self.state)
        return words + (f" in {self.innermost}" if self.innermost and self.innermost != self.callee else "")

    def in_words(self) -> str:
        """`time.sleep called from service/routes/sleep.py:20 (sleep_blocking), waiting on I/O`; a
        site with no application frame on its stack says so, not where it was called from."""
        where, _, function = self.site.partition(" ")
        what = (
            f"{self.callee} called from {where}" + (f" ({function})" if function else "")
            if self.in_application
            else f"{self.callee}, with no frame of the application on its stack"
        )
        return ", ".join(w for w in (what, self.doing()) if w)


class LoopFigures(Record):
    """Where a window's event loop was blocked (the watchdog's): what every measured window keeps."""

    blocking: list[BlockingSite] | None = None  # None: no blocking data (blocking_missing says why)
    loop_blocked_share: float | None = None  # of the steady window, averaged over workers


class BlockingFigures(LoopFigures):
    """The watchdog's figures of a steady window (asyncgap/cell/blocking.py), or why there are none."""

    threads: list[BlockingSite] | None = None  # what busy thread-pool threads did (thread-seconds)
    threads_busy_mean: float | None = None  # threads running application code, all workers
    executor: list[BlockingSite] | None = None  # the same for the loop's default executor (a second pool)
    executor_busy_mean: float | None = None
    executor_workers: int | None = None  # its threads at most, all workers; None: no worker made one
    blocking_missing: str = ""  # why there are no blocking figures ("no blocking data: ...")


class WindowFigures(LoopFigures):
    """What every measured window keeps, a single cell's or a level of a sweep's."""

    requests: int | None = None
    failures: int | None = None
    rps: float | None = None
    rps_ci95_pct: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p50_ms_exact: float | None = None  # from the HDR histograms, beside Locust's rounded figures
    p95_ms_exact: float | None = None
    server_cpu_ms_per_request: float | None = None  # under the load, all endpoints together
    server_wakeups_per_request: float | None = None  # the server's voluntary context switches
    server_preemptions_per_request: float | None = None  # its involuntary ones
    pace_ms: float | None = None  # the server's cores' pace: CPU ms of reference work (asyncgap.engines.pace)
    connections_per_worker: list[int] = Field(default_factory=list)
    outbound_connections: float | None = None  # the server's to other servers (a client's pool), mean
    generator_bound: bool = False


class Figures(WindowFigures, BlockingFigures):
    """What measuring a window produces (asyncgap/cell/measure.py): Locust's figures over its steady
    seconds beside the samples taken in the same seconds. No prediction: that was made before.
    None: not measured (a failed cell's, or a file from before the figure existed)."""

    mean_ms: float | None = None
    p99_ms: float | None = None
    p99_ms_exact: float | None = None
    p999_ms_exact: float | None = None
    steady_s: int | None = None
    server_cores_busy: float | None = None
    generator_cores_busy: float | None = None
    loop_lag_max_ms: float | None = None
    loop_lag_median_ms: float | None = None
    tokens_busy_max: float | None = None
    failure_reasons: list[FailureReason] = Field(default_factory=list)
    endpoints: dict[str, EndpointFigures] = Field(default_factory=dict)
    db_cores_busy: float | None = None  # the database server's CPU under the load (PostgreSQL)
    db_cpu_ms_per_request: float | None = None


class Predicted(Record):
    """The prediction made before the load, beside what the window measured."""

    predicted_rps: float | None = None  # with the window's measured connection split
    measured_over_predicted: float | None = None


class Recorded(Figures, Predicted):
    """A window's figures recorded beside its final model (asyncgap/cell/recording.py)."""

    predicted_rps_even_split: float | None = None
    model: Model | None = None


class Level(WindowFigures, Predicted):
    """One level of a sweep: what its steady seconds measured (its warm-up discarded) beside what
    the model predicted for its users before the load, from the cell's calibration alone."""

    users: int
    fast_p95_ms: float | None = None  # the /fast probe: a starved loop shows here first
    fast_p95_ms_exact: float | None = None
    predicted_latency_ms: float | None = None  # users / predicted_rps less think time (Little's law)
    bound: Bound | None = None
    reason: str = ""  # why theory missed the level, in measured facts (asyncgap/cell/explain.py)
    endpoints: dict[str, EndpointFigures] = Field(default_factory=dict)  # each route's own curve


class Asked(Record):
    """What the plan asked of a cell (asyncgap/cell/plan.py): its identity and its load."""

    setup: str
    scenario: str
    variant: CellVariant
    users: int
    duration_s: float | None = None
    warmup_s: float | None = None
    repeat: int = 1
    converge_pct: float | None = None
    dir: str | None = None  # the cell's folder in its run


class Outcome(Record):
    """Whether a cell was measured, and if not why."""

    status: Literal["ok", "failed"]
    reason: str | None = None  # why it failed, one line first
    error_file: str | None = None  # its traceback, relative to the run folder


class CellResult(Recorded, Outcome, Asked):
    """One cell: what was asked, then what was measured and predicted (None when it failed)."""

    server_events: list[WorkerEvent] = Field(default_factory=list)
    locust_report: str | None = None
    timings: dict[str, float] = Field(default_factory=dict)  # seconds in each phase of the cell
    repeats: int = 1  # after merging repeats: how many were merged, and each one's rps
    rps_repeats: list[float] = Field(default_factory=list)
    levels: list[Level] = Field(default_factory=list)  # a sweep's, lowest first; the figures above: its last

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


def fields_of(record: BaseModel, *parts: type[BaseModel]) -> dict:
    """The values of `record` for the fields of the record types `parts` (its bases, say), as they
    are (nested records stay records): what one record carries into another."""
    names = {name for part in parts for name in part.model_fields}
    return {name: value for name, value in record if name in names}


class RunSummary(Record):
    """summary.json: every cell of a run, in the order run; `complete` is False if interrupted."""

    schema_version: int = SCHEMA_VERSION
    complete: bool = True
    cells: list[CellResult]
    app: AppFindings | None = None  # a run of the user's own app: its routes, stations and hops
    thresholds: list[ThresholdResult] = Field(default_factory=list)  # each threshold on each cell
    wall_s: float | None = None  # start to summary: what a user waits for, checks and calibration included

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
