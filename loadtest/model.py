"""What theory predicts for a cell, from its calibration alone: the bounds of a closed network.

N users loop with no think time. Endpoint e gets a share f_e of the requests (the scenario's
task weights), and a call to it takes R_e end to end when nothing else runs (its round trip),
of which S_e holds its declared *station* (loadtest/calibration.py), and costs c_e of CPU:

- `threads`: a `def` endpoint holds one of the worker's T thread-pool tokens;
- `loop`:    an `async def` doing blocking work holds the worker's one event loop;
- `pool`:    CPU work awaited in a process pool holds one of its P processes;
- `delay`:   awaited non-blocking I/O holds nothing the server has few of.

With D_r = sum of f_e * S_e over the endpoints at station r and R = sum of f_e * R_e, the
asymptotic bounds of a closed network give, for worker i holding c_i of the N connections,
X_i <= c_i / R (a user has one request out at a time) and X_i <= m_r / D_r (m_r servers at r).
A station's bound for the server sums each worker's min of the two, so the smallest bound
is the prediction and names the binding station:

    connections = sum_i c_i / R
    r           = sum_i min(c_i / R, m_r / D_r)       for threads, loop, pool
    cpu         = cores / sum of f_e * c_e            (a worker's Python holds one GIL: at
                                                      most one core each, bar its process pool)

where c_e is the endpoint's CPU on a busy server (its CPU alone, less the wake from idle that
a call that waits pays alone; loadtest/calibration.py).

Keep-alive connections are split by the kernel at accept time, often unevenly (88/12 of 100
is common): c_i is the measured split when there is one, and an even split before the load.
Nothing measured under the load enters, so the model can be wrong, and the dashboard says so.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.stations import Station
from loadtest.records import Bound, EndpointCalibration, Model, ModelInputs

ORDER: tuple[Bound, ...] = ("connections", "threads", "loop", "pool", "cpu")  # ties: the first names it


@dataclass(frozen=True)
class Server:
    """What one worker process offers, and what the whole server may use."""

    workers: int
    thread_tokens: int = 40
    pool_processes: int = 1
    cores: int = 1

    def servers(self, station: Station) -> int:
        return {"threads": self.thread_tokens, "loop": 1, "pool": self.pool_processes}[station]


def even_split(users: int, workers: int) -> list[int]:
    """How N connections would spread over the workers if the kernel were fair."""
    base, extra = divmod(users, workers)
    return [base + (1 if i < extra else 0) for i in range(workers)]


def bounds_rps(
    endpoints: Mapping[str, EndpointCalibration], connections: Sequence[int], server: Server
) -> dict[Bound, float]:
    """Every station's bound on the server's requests per second (stations with no demand left out)."""
    total = sum(e.share for e in endpoints.values())
    if total <= 0:
        return {"connections": 0.0}
    shares = {name: e.share / total for name, e in endpoints.items()}
    cycle_s = sum(shares[n] * e.round_trip_ms for n, e in endpoints.items()) / 1000
    demand: dict[Station, float] = {}
    for name, e in endpoints.items():
        demand[e.station] = demand.get(e.station, 0.0) + shares[name] * e.service_ms / 1000
    per_connection = 1 / cycle_s if cycle_s > 0 else float("inf")
    bounds: dict[Bound, float] = {"connections": sum(c * per_connection for c in connections)}
    for station in ("threads", "loop", "pool"):
        if demand.get(station, 0.0) > 0:
            cap = server.servers(station) / demand[station]
            bounds[station] = sum(min(c * per_connection, cap) for c in connections)
    cpu_s = sum(shares[n] * e.cpu_ms_busy for n, e in endpoints.items()) / 1000
    if cpu_s > 0:
        cores = server.cores if demand.get("pool") else min(server.cores, server.workers)
        bounds["cpu"] = cores / cpu_s
    return bounds


def predict(
    endpoints: Mapping[str, EndpointCalibration],
    users: int,
    server: Server,
    connections: Sequence[int] | None = None,
) -> Model:
    """The cell's model: its inputs, every bound, and the binding one (whose value is predicted_rps)."""
    split = list(connections) if connections else even_split(users, server.workers)
    bounds = bounds_rps(endpoints, split, server)
    lowest = min(bounds.values())
    bound = next(b for b in ORDER if b in bounds and bounds[b] <= lowest * (1 + 1e-9))
    inputs = ModelInputs(
        users=users,
        workers=server.workers,
        thread_tokens=server.thread_tokens,
        pool_processes=server.pool_processes,
        cores=server.cores,
        connections=split,
        endpoints=dict(endpoints),
    )
    return Model(bound=bound, bounds_rps={b: round(v, 2) for b, v in bounds.items()}, inputs=inputs)


def recompute(inputs: ModelInputs) -> Model:
    """The same prediction from a recorded model's inputs: anyone can check a summary.json."""
    server = Server(inputs.workers, inputs.thread_tokens, inputs.pool_processes, inputs.cores)
    return predict(inputs.endpoints, inputs.users, server, inputs.connections)
