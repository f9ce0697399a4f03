"""What theory predicts for a cell: Little's law for a closed loop, bounded by the bottleneck.

N users loop with no think time. A request to endpoint e spends its service time S_e at
some *stations* of the server, chosen by how the endpoint's work is called:

- `threads`: a `def` endpoint holds one of the worker's T thread-pool tokens for S_e;
- `loop`:    an `async def` doing blocking work holds the worker's one event loop for S_e;
- `pool`:    CPU work awaited in a process pool holds one of its P processes;
- `delay`:   awaited non-blocking I/O holds nothing (an infinite-server station);
- `cpu`:     every request costs CPU time c, shared by the cores the server may use.

With f_e the share of requests that go to e, the demand at station r is
D_r = sum(f_e * S_e for e at r) and the mean time a request takes at best is
D = sum(f_e * S_e). Operational analysis (the asymptotic bounds of a closed network)
then gives each worker i, holding c_i of the N connections:

    X_i = min(c_i / D, m_r / D_r for every station r of the worker)

and the server X = min(sum(X_i), cores / D_cpu). Keep-alive connections are split by the
kernel at accept time and often unevenly (88/12 of 100 is common), so c_i is measured
per worker when it can be; otherwise the split is taken as even.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.names import FAST


@dataclass(frozen=True)
class Endpoint:
    """One endpoint as seen in a cell: its share of the requests and its service time."""

    name: str
    share: float
    service_s: float


@dataclass(frozen=True)
class Server:
    """What one worker process offers, and what the whole server may use."""

    workers: int
    thread_tokens: int = 40
    pool_processes: int = 1
    cores: int = 1

    def servers(self, station: str) -> float:
        return {"threads": self.thread_tokens, "loop": 1, "pool": self.pool_processes}.get(
            station, float("inf")
        )


def station(name: str) -> str:
    """Where a request to endpoint `name` (an endpoint_key) spends its service time."""
    name = name.split(" ")[-1]
    tutorial = {"/slow-blocking": "threads", "/slow-non-blocking": "delay"}
    if name in tutorial:
        return tutorial[name]
    parts = name.strip("/").split("/")
    if len(parts) == 2:
        variant, work = parts
        if variant == "sync":
            return "threads"
        if variant == "async-blocking":
            return "loop"
        if variant == "async":
            return "pool" if work == "cpu" else "delay"
    # /fast, /hello and the tutorial's awaited I/O: tiny work on the loop, or none held.
    return "loop" if name in (FAST, "/hello") else "delay"


def predict_rps(
    endpoints: Sequence[Endpoint],
    users: int,
    server: Server,
    *,
    cpu_s_per_request: float = 0.0,
    connections: Sequence[int] | None = None,
) -> float:
    """Predicted requests per second (all endpoints together) for a closed loop of `users`."""
    total_share = sum(e.share for e in endpoints)
    if total_share <= 0:
        return 0.0
    demand: dict[str, float] = {}
    for e in endpoints:
        at = station(e.name)
        demand[at] = demand.get(at, 0.0) + e.share / total_share * e.service_s
    cycle = sum(demand.values())
    split = list(connections) if connections else even_split(users, server.workers)
    per_worker_cap = min(
        (server.servers(at) / d for at, d in demand.items() if at != "delay" and d > 0),
        default=float("inf"),
    )
    rps = sum(min(c / cycle if cycle > 0 else float("inf"), per_worker_cap) for c in split)
    if cpu_s_per_request > 0:
        rps = min(rps, server.cores / cpu_s_per_request)
    return rps


def even_split(users: int, workers: int) -> list[int]:
    """How N connections would spread over the workers if the kernel were fair."""
    base, extra = divmod(users, workers)
    return [base + (1 if i < extra else 0) for i in range(workers)]


def shares(counts: Mapping[str, int]) -> dict[str, float]:
    """Each endpoint's share of the requests, from counts."""
    total = sum(counts.values())
    return {name: count / total for name, count in counts.items()} if total else {}
