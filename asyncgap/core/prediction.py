"""The model's records: each endpoint as calibration found it, the inputs of a prediction, and the
prediction itself, written to a cell's prediction.json before the load and kept in its summary."""

from typing import Literal

from asyncgap.core.record import Record
from asyncgap.core.stations import Station


class EndpointCalibration(Record):
    """One endpoint measured alone and hot, before the load (asyncgap/cell/calibration.py)."""

    method: str
    station: Station
    share: float  # of the scenario's requests: its task weights, its user classes by their rates
    round_trip_ms: float  # the median call of a batch, one at a time, as the load generator sees it
    think_ms: float = (
        0.0  # the user's wait after it (its locustfile's wait_time, shared by a task's requests)
    )
    service_ms: float  # the part of it spent holding the endpoint's station
    cpu_ms_alone: float  # CPU of the server's process tree per request, one request at a time
    cpu_ms_busy: float  # the same in a closed burst that keeps the server busy: the model's input
    db_cpu_ms: float = 0.0  # the database server's CPU per request alone (PostgreSQL; SQLite's is in-process)
    db_cpu_ms_busy: float | None = None  # the same in the burst (None: recorded before it was measured)
    wakeups_busy: float | None = None  # the server's voluntary context switches per request, in the burst
    outbound_busy: int | None = None  # connections the server held to other servers at the burst's end
    backlog_busy: float | None = (
        None  # requests a worker held past their wait in the burst (None: not measured)
    )
    cpu_ms_per_backlog: float | None = None  # CPU ms a request costs more per request more in that backlog
    hops: int | None = None  # thread-pool hops a request makes (a user's app's routes); None: not known
    reached: str | None = None  # the method and URL path a request of it was sent to (None: not seen)
    pace_alone_ms: float | None = None  # the cores' pace during its batch (asyncgap.engines.pace)
    pace_busy_ms: float | None = None  # ... and during its burst (None: no timer ran)
    # ... and over the minute before the load, which the model expects the load to run at: its CPU
    # figures are scaled to it from their batch's or burst's (None: at theirs)
    pace_expected_ms: float | None = None
    # the event loop blocked per request in its batch, the watchdog's stalls (None: not read)
    loop_blocked_ms: float | None = None


Bound = Literal["connections", "threads", "loop", "pool", "cpu", "db"]


class ModelInputs(Record):
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


class Model(Record):
    """A cell's prediction: every station's bound, the one that binds, and why theory missed."""

    bound: Bound
    bounds_rps: dict[Bound, float]
    inputs: ModelInputs
    reason: str = ""  # a measured explanation when measured/predicted is outside +-10%, else empty

    @property
    def predicted_rps(self) -> float:
        return self.bounds_rps[self.bound]
