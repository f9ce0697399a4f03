"""What theory predicts for a cell, from its calibration alone: the bounds of a closed network.

N users loop, each waiting Z_e after a call to endpoint e (its locustfile's wait_time; no think
time in the demo). Endpoint e gets a share f_e of the requests (the scenario's task weights,
its user classes by the rate each sends: asyncgap.cell.calibration.request_rates), and a call
to it takes R_e end to end when nothing else runs (its round trip), of which S_e
holds its declared *station* (asyncgap/cell/calibration.py), and costs c_e of CPU:

- `threads`: a `def` endpoint holds one of the worker's T thread-pool tokens;
- `loop`:    an `async def` doing blocking work holds the worker's one event loop;
- `pool`:    CPU work awaited in a process pool holds one of its P processes;
- `db`:      awaited database work holds one of the worker's database connections (asyncpg's
             pool of P; unbounded when the driver opens one per query, as SQLite's does);
- `delay`:   awaited non-blocking I/O holds nothing the server has few of.

With D_r = sum of f_e * S_e over the endpoints at station r and R = sum of f_e * (R_e + Z_e), the
asymptotic bounds of a closed network give, for worker i holding c_i of the N connections,
X_i <= c_i / R (a user has one request out at a time) and X_i <= m_r / D_r (m_r servers at r).
A station's bound for the server sums each worker's min of the two, so the smallest bound
is the prediction and names the binding station:

    connections = sum_i c_i / R
    r           = sum_i min(c_i / R, m_r / D_r)       for threads, loop, pool
    cpu         = cores / sum of f_e * c_e            (a worker's Python holds one GIL: at
                                                      most one core each, bar its process pool)

A database server (PostgreSQL) is part of the system: its CPU per request, d_e, is measured
during calibration from its own processes (hot, as c_e below), which share the server's cores, so then
    cpu         = min(the bound above, cores / sum of f_e * (c_e + d_e)).

where c_e is the endpoint's CPU per request measured hot, in a closed burst that keeps the
server busy (asyncgap/cell/calibration.py): alone, a server pays wakes from idle that a loaded
one does not, and misses the GIL hand-offs that a loaded one pays. Every CPU figure is taken at
the pace the cores ran at over the minute before the load, scaled from the pace of its burst
(`pace_scale`: a burst's second catches one phase of a virtual machine's speed). The stations'
service times are not: a station that holds the CPU (a blocked loop, a thread pool of CPU work)
keeps the batch's.

Some costs grow with the backlog: the requests a worker holds past their wait, queued for its
CPU or its thread tokens. An httpx AsyncClient polls every idle pooled connection on each pool
pass, and a saturated loop leaves most of them idle (docs/findings.md). Where two
bursts measured it, c_e moves along that slope k_e with the backlog B a worker holds, which
Little's law gives at throughput X: B = (N - X W) / workers, W the time a request spends
neither on the CPU nor queued (its round trip less its CPU, alone). Then the cpu bound is the
least X at which

    X * sum of f_e * c_e(B(X)) = cores

an X on a parabola: past its top the core is saturated at two throughputs, and the lower is
the one a closed loop that starts all at once settles in (the collapse: more backlog, dearer
requests, more backlog). With no slope measured it is cores / sum of f_e * c_e, as above.

Where the users' bound and the cpu bound meet, both overstate: N users who together could send
N / R a second, on a core that could serve them all, still queue for it now and then. There the
lower of the two is the throughput of the closed network of the core and everything else of
the cycle (a delay), by exact mean-value analysis (`queued_for_cores`; Seidmann's split for
several cores). One worker's db-pg-wait async at 100 users (the full record of fca8561): users
1,322, core 1,287 a second, measured 1,158, and the analysis 1,216.

Where the thread tokens bind before the core, they bind lower than T / D_threads. A `def`
request's token goes back only when the loop takes its thread's result, and a busy core keeps the
loop waiting, by a queue's wait for it, U / (1 - U) / cpu at utilisation U = X / cpu (per core,
Seidmann's split as above). So the threads bound is the throughput at which the tokens, each
held that much past its service, are just enough (`tokens_held_past_the_core`): two workers of
sleep sync on one core at a slow hour, 0.91 of the plain bound, read 0.96 of this one (the full
record of a95f1b2). Where the core binds first, the bounds are the plain ones. The knee below
keeps the plain bound; a curve bound by tokens on a busy core flattens a little under it.

Over N, the curve is the throughput-concurrency curve of the closed network: X grows as N / R
while users are what limit it, and flattens at the lowest station's bound past its knee,
N* = R x that bound (for a thread pool, T tokens / the share D_threads / R of a cycle that
holds one). The mean latency at N is then N / X - Z (Little's law, Z the mean think time).

Keep-alive connections are split by the kernel at accept time, often unevenly (88/12 of 100
is common): c_i is the measured split when there is one, scaled to the N users, and an even
split before the load. Fewer connections are open than users when users think past the server's
keep-alive (gunicorn closes an idle one after 2 s, and the user opens another for its next task)
or when a stalled loop leaves them in the listen backlog: the split gives the proportions, the
users give N.
Nothing measured under the load enters, so the model can be wrong, and the dashboard says so.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from asyncgap.core.prediction import Bound, EndpointCalibration, Model, ModelInputs
from asyncgap.core.stations import Station

ORDER: tuple[Bound, ...] = ("connections", "threads", "loop", "pool", "cpu", "db")  # ties: the first names it
LIMITED: tuple[Bound, ...] = ("threads", "loop", "pool", "db")  # stations with a few servers per worker
SATURATED = 1e-9  # a throughput this close to the cores' is theirs (queued_for_cores)


@dataclass(frozen=True)
class Server:
    """What one worker process offers, and what the whole server may use."""

    workers: int
    thread_tokens: int = 40
    pool_processes: int = 1
    cores: int = 1
    db_connections: int | None = None  # a worker's database pool; None: no ceiling

    def servers(self, station: Station) -> int | None:
        """Servers per worker at a station; None for a station with no ceiling."""
        return {
            "threads": self.thread_tokens,
            "loop": 1,
            "pool": self.pool_processes,
            "db": self.db_connections,
        }[station]


def even_split(users: int, workers: int) -> list[int]:
    """How N connections would spread over the workers if the kernel were fair."""
    base, extra = divmod(users, workers)
    return [base + (1 if i < extra else 0) for i in range(workers)]


def users_split(connections: Sequence[int], users: int) -> list[int]:
    """The N users over the workers in the proportions of a measured split (largest remainder),
    which may count fewer or more connections than users: see the module's docstring."""
    counted = sum(connections)
    if counted <= 0:
        return even_split(users, len(connections))
    if counted == users:
        return list(connections)
    exact = [c * users / counted for c in connections]
    split = [math.floor(share) for share in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: split[i] - exact[i])
    for i in by_remainder[: users - sum(split)]:
        split[i] += 1
    return split


def mix_of(endpoints: Mapping[str, EndpointCalibration]) -> dict[str, float]:
    """Each endpoint's share of the requests, as calibration gives them: its tasks' weights, and
    its user classes by the rate each sends."""
    total = sum(e.share for e in endpoints.values())
    return {name: e.share / total for name, e in endpoints.items()} if total > 0 else {}


def cycle_s(endpoints: Mapping[str, EndpointCalibration]) -> float:
    """R + Z: a user's mean round trip when nothing else runs (one request out at a time), and
    then its think time (its locustfile's wait_time; none in the demo's)."""
    shares = mix_of(endpoints)
    return sum(shares[n] * (e.round_trip_ms + e.think_ms) for n, e in endpoints.items() if n in shares) / 1000


def think_s(endpoints: Mapping[str, EndpointCalibration]) -> float:
    """Z: a user's mean wait after a request, its locustfile's wait_time shared by a task's requests."""
    shares = mix_of(endpoints)
    return sum(shares[n] * e.think_ms for n, e in endpoints.items() if n in shares) / 1000


def demands_s(endpoints: Mapping[str, EndpointCalibration]) -> dict[Bound, float]:
    """D_r: seconds a request holds each station on average, and its CPU seconds (no zeros)."""
    shares = mix_of(endpoints)
    demand: dict[Bound, float] = {}
    for name, e in endpoints.items():
        demand[e.station] = demand.get(e.station, 0.0) + shares.get(name, 0.0) * e.service_ms / 1000
        demand["cpu"] = demand.get("cpu", 0.0) + shares.get(name, 0.0) * cpu_ms(e) / 1000
        if e.station != "threads" and token_hold_ms(e):
            demand["threads"] = demand.get("threads", 0.0) + shares.get(name, 0.0) * token_hold_ms(e) / 1000
    return {station: d for station, d in demand.items() if station in ORDER and d > 0}


def token_hold_ms(e: EndpointCalibration) -> float:
    """The thread-token time of one request, its hops' in turn (asyncgap.appside.routes).

    A `def` handler's request holds a token on each hop (sync dependencies, the handler, its
    response model), one at a time, and between them none: the hops together span its service,
    the turns between them being trips through the loop. A request whose handler runs on the loop
    but whose dependencies are `def` holds a token on each of them too, though its station
    (`delay`, `loop`) holds none: calibration does not time the hops apart, so its service time
    stands for its tokens' time, an upper bound (the threads bound it gives is a lower one). A
    route of unknown hops (a declared station) holds tokens only at `threads`."""
    if e.station == "threads":
        return e.service_ms
    return e.service_ms if e.hops else 0.0


def db_cpu_s(
    endpoints: Mapping[str, EndpointCalibration], mix: Mapping[str, float] | None = None, alone: bool = False
) -> float:
    """The database server's CPU seconds per request on a busy database, or `alone` (0 without
    one), in calibration's mix or in `mix` (each endpoint's share of the requests)."""
    shares = mix_of(endpoints) if mix is None else mix
    per_request = db_alone_ms if alone else db_busy_ms
    return sum(shares.get(name, 0.0) * per_request(e) / 1000 for name, e in endpoints.items())


def db_busy_ms(e: EndpointCalibration) -> float:
    """An endpoint's database CPU on a busy database (on the server's cores, at the pace the load is
    expected to run at); as alone in records made before it was measured."""
    return db_alone_ms(e) if e.db_cpu_ms_busy is None else e.db_cpu_ms_busy * pace_scale(e)


def db_alone_ms(e: EndpointCalibration) -> float:
    """An endpoint's database CPU one request at a time, at the pace the load is expected to run at."""
    return e.db_cpu_ms * pace_scale(e, e.pace_alone_ms)


def alone_cpu_ms(e: EndpointCalibration) -> float:
    """An endpoint's CPU one request at a time, at the pace the load is expected to run at."""
    return e.cpu_ms_alone * pace_scale(e, e.pace_alone_ms)


def measured_pace_ms(e: EndpointCalibration) -> float | None:
    """The cores' pace while its hot CPU figures were measured: its burst's, or without one its
    batch's, whose figures stand for them."""
    return e.pace_busy_ms or e.pace_alone_ms


def assumed_pace_ms(e: EndpointCalibration) -> float | None:
    """The cores' pace its CPU figures are taken at: the minute's before the load when it and the
    pace they were measured at are known, else the one they were measured at."""
    return e.pace_expected_ms if e.pace_expected_ms and measured_pace_ms(e) else measured_pace_ms(e)


def pace_scale(e: EndpointCalibration, measured: float | None = None) -> float:
    """What a CPU figure measured at pace `measured` (by default its burst's) is multiplied by to
    read at the pace the load is expected to run at (the minute's before it): a burst of a second
    catches one phase of the machine's speed, and a load of twenty averages several
    (asyncgap.engines.pace); 1 without both paces."""
    measured = measured or measured_pace_ms(e)
    return e.pace_expected_ms / measured if e.pace_expected_ms and measured else 1.0


def wait_s(endpoints: Mapping[str, EndpointCalibration]) -> float:
    """W: what a user's cycle spends neither on the CPU nor queued for it, on average: its round
    trip less its CPU, alone, and its think time (a user in this part of its cycle is in no backlog)."""
    shares = mix_of(endpoints)
    return (
        sum(
            shares.get(name, 0.0) * (max(e.round_trip_ms - e.cpu_ms_alone, 0.0) + e.think_ms)
            for name, e in endpoints.items()
        )
        / 1000
    )


def held_past_wait(users: int, rps: float, wait_s: float, workers: int) -> float:
    """Requests a worker holds past their wait: N closed-loop users less the X W inside it
    (Little's law), shared by the workers. Calibration's bursts and the model's load alike."""
    return max(users - rps * wait_s, 0.0) / workers


def backlog(inputs: ModelInputs, rps: float) -> float:
    """B: requests a worker holds past their wait at `rps`, the model's users and mix."""
    return held_past_wait(inputs.users, rps, wait_s(inputs.endpoints), inputs.workers)


def cpu_ms(e: EndpointCalibration, backlog_requests: float | None = None) -> float:
    """c_e(B): an endpoint's CPU per request with B requests in its worker's backlog, along the
    slope its two bursts measured; without one (or a B), its hot burst's figure whatever the
    backlog. At the pace the load is expected to run at (`pace_scale`)."""
    measured = e.cpu_ms_busy
    if e.cpu_ms_per_backlog and e.backlog_busy is not None and backlog_requests is not None:
        measured = max(measured + e.cpu_ms_per_backlog * (backlog_requests - e.backlog_busy), 0.0)
    return measured * pace_scale(e)


def predicted_cpu_ms(model: Model, mix: Mapping[str, float] | None = None) -> float:
    """The CPU per request the model expects at its own prediction (at the backlog it implies), in
    calibration's mix or in `mix` (each endpoint's share of the requests)."""
    at = backlog(model.inputs, model.predicted_rps)
    shares = mix_of(model.inputs.endpoints) if mix is None else mix
    return sum(shares.get(name, 0.0) * cpu_ms(e, at) for name, e in model.inputs.endpoints.items())


def _cpu_bound(
    endpoints: Mapping[str, EndpointCalibration], users: int, workers: int, cores: float, extra_s: float = 0.0
) -> float:
    """The least X with X * (a + K B(X)) = cores, a + K B the CPU seconds per request at backlog B
    (`extra_s` more per request: a database's), B(X) = (users - X W) / workers while positive."""
    shares = mix_of(endpoints)
    slope = (
        sum(shares.get(n, 0.0) * (e.cpu_ms_per_backlog or 0.0) * pace_scale(e) for n, e in endpoints.items())
        / 1000
    )
    at_zero = extra_s + sum(shares.get(n, 0.0) * cpu_ms(e, 0.0) for n, e in endpoints.items()) / 1000
    wait = wait_s(endpoints)
    # X (a + K (N - X W) / w) = C, i.e. A X^2 - B X + C = 0 with A = K W / w and B = a + K N / w
    a2, b = slope * wait / workers, at_zero + slope * users / workers
    if b <= 0:
        return float("inf")
    if a2 == 0:
        return cores / b
    disc = b * b - 4 * a2 * cores
    if disc >= 0 and (lower := 2 * cores / (b + disc**0.5)) <= users / wait:
        return lower
    return cores / at_zero if at_zero > 0 else float("inf")  # no backlog at the bound: as without a slope


def cores_used(server: Server, demand: Mapping[Bound, float]) -> int:
    """A worker's Python holds one GIL: at most one core each, bar its process pool."""
    return server.cores if demand.get("pool") else min(server.cores, server.workers)


def bounds_rps(
    endpoints: Mapping[str, EndpointCalibration], connections: Sequence[int], server: Server
) -> dict[Bound, float]:
    """Every station's bound on the server's requests per second (stations with no demand left out)."""
    if not mix_of(endpoints):
        return {"connections": 0.0}
    cycle = cycle_s(endpoints)
    demand = demands_s(endpoints)
    per_connection = 1 / cycle if cycle > 0 else float("inf")
    bounds: dict[Bound, float] = {"connections": sum(c * per_connection for c in connections)}
    for station in LIMITED:
        if station in demand and server.servers(station) is not None:
            cap = server.servers(station) / demand[station]
            bounds[station] = sum(min(c * per_connection, cap) for c in connections)
    if "cpu" in demand:
        users, workers = sum(connections), server.workers
        cores = cores_used(server, demand)
        bounds["cpu"] = _cpu_bound(endpoints, users, workers, cores)
        if database := db_cpu_s(endpoints):
            with_database = _cpu_bound(endpoints, users, workers, server.cores, database)
            if with_database < bounds["cpu"]:
                bounds["cpu"], cores = with_database, server.cores
        if bounds.get("threads", float("inf")) < bounds["cpu"]:
            held = tokens_held_past_the_core(
                endpoints, connections, server.thread_tokens, demand["threads"], cycle, bounds["cpu"]
            )
            bounds["threads"] = min(bounds["threads"], held)
        met = min(("connections", "cpu"), key=lambda b: bounds[b])
        bounds[met] = min(bounds[met], queued_for_cores(users, cycle, bounds["cpu"], cores))
    return bounds


def tokens_held_past_the_core(
    endpoints: Mapping[str, EndpointCalibration],
    connections: Sequence[int],
    tokens: int,
    demand_s: float,
    cycle: float,
    cpu_rps: float,
) -> float:
    """The threads bound with each token held past its service while the loop waits for the core:
    the X with X = sum_i x_i(X), x_i = c_i / R for a worker with no more connections than tokens
    (it never runs out of them) and else min(c_i / R, T / (D_threads + h w(X))), where
    w(X) = U / (1 - U) / cpu is a queue's wait for the core at U = X / cpu and h the hand-backs a
    request makes (a token-holding endpoint's share, once per hop). A thread's result reaches its
    request through the loop: two workers of sleep sync on one core 81% busy served 722 sleeps a
    second with 74 of their 80 threads busy, 102 ms a sleep; held throughout, 80 tokens at that
    rate are 111 ms, 9 ms past it (the full record of a95f1b2). The plain bound on an idle core;
    infinite where no worker can run out of tokens, whose plain bound the caller keeps."""
    shares = mix_of(endpoints)
    handbacks = sum(
        shares.get(n, 0.0) * max(e.hops or 1, 1) for n, e in endpoints.items() if token_hold_ms(e)
    )
    if not any(c > tokens for c in connections) or not math.isfinite(cpu_rps) or cpu_rps <= 0:
        return float("inf")  # no worker can run out of tokens, or no core to wait for: the plain bound

    def served(rps: float) -> float:
        busy = min(rps / cpu_rps, 1 - SATURATED)
        held_s = demand_s + handbacks * busy / (1 - busy) / cpu_rps
        return sum(c / cycle if c <= tokens else min(c / cycle, tokens / held_s) for c in connections)

    low, high = 0.0, served(0.0)  # served(X) - X falls as X grows: bisect its root
    while high - low > high * SATURATED:
        middle = (low + high) / 2
        low, high = (middle, high) if served(middle) > middle else (low, middle)
    return low


def queued_for_cores(users: int, cycle: float, cpu_rps: float, cores: int) -> float:
    """The throughput of `users` closed-loop users of cycle R (s) on `cores` that serve at most
    `cpu_rps` requests a second: exact mean-value analysis of the core as a queue and the rest of
    the cycle as a delay (Seidmann's split for several cores: a core's share of a request's CPU
    queues, the rest is a delay). Below both min(N / R, cpu_rps) wherever they are close, equal
    to it where one is far below the other."""
    if users <= 0 or cycle <= 0 or not math.isfinite(cpu_rps) or cpu_rps <= 0:
        return min(users / cycle, cpu_rps) if cycle > 0 else cpu_rps
    cpu_s = cores / cpu_rps  # a request's CPU seconds
    queued, delay = cpu_s / cores, max(cycle - cpu_s, 0.0) + cpu_s * (cores - 1) / cores
    rps, waiting = 0.0, 0.0  # throughput, and requests at the core, with n users
    for n in range(1, users + 1):
        at_core = queued * (1 + waiting)
        rps = n / (at_core + delay)
        waiting = rps * at_core
        if rps >= cpu_rps * (1 - SATURATED):  # each user more only queues: a curve stays linear
            break
    return rps


def predict(
    endpoints: Mapping[str, EndpointCalibration],
    users: int,
    server: Server,
    connections: Sequence[int] | None = None,
) -> Model:
    """The cell's model: its inputs, every bound, and the binding one (whose value is predicted_rps)."""
    split = users_split(connections, users) if connections else even_split(users, server.workers)
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
        db_connections=server.db_connections,
    )
    return Model(bound=bound, bounds_rps={b: round(v, 2) for b, v in bounds.items()}, inputs=inputs)


def server_of(inputs: ModelInputs) -> Server:
    """The server a recorded model was made for."""
    return Server(
        inputs.workers, inputs.thread_tokens, inputs.pool_processes, inputs.cores, inputs.db_connections
    )


def recompute(inputs: ModelInputs) -> Model:
    """The same prediction from a recorded model's inputs: anyone can check a summary.json."""
    return predict(inputs.endpoints, inputs.users, server_of(inputs), inputs.connections)


@dataclass(frozen=True)
class Knee:
    """Where the curve flattens: `users` = servers / share, the share of a user's cycle R spent
    holding one of the binding station's servers (D_r / R): 40 tokens / 0.99 = 40 users."""

    users: float
    bound: Bound
    servers: int  # the whole server's: tokens (or loops, pool processes) of every worker, or cores
    share: float


def knee(inputs: ModelInputs) -> Knee | None:
    """N*, past which more users add no throughput, at the station whose ceiling is lowest once
    users no longer limit it (None when no station has demand: users are all there is)."""
    server = server_of(inputs)
    demand = demands_s(inputs.endpoints)
    cycle = cycle_s(inputs.endpoints)
    if not demand or cycle <= 0:
        return None
    servers = {s: server.workers * server.servers(s) for s in LIMITED if server.servers(s) is not None}
    servers["cpu"] = cores_used(server, demand)
    demand = {s: d for s, d in demand.items() if s in servers}
    if database := db_cpu_s(inputs.endpoints):  # the CPU demand that gives the cpu bound, database included
        own = demand.get("cpu", 0.0)
        demand["cpu"] = max(own, (own + database) * servers["cpu"] / server.cores)
    bound = min(demand, key=lambda s: (servers[s] / demand[s], ORDER.index(s)))
    share = demand[bound] / cycle
    return Knee(users=servers[bound] / share, bound=bound, servers=servers[bound], share=share)


def route_knee(inputs: ModelInputs, endpoint: str) -> Knee | None:
    """One route's own knee, in its requests in flight: the servers of its station (or the tokens
    its hops hold) over the share of its round trip it holds one; None when it holds nothing the
    server has few of (`delay` with no hops). The whole server's bounds (CPU) are knee()'s. A hold
    is at most the round trip (token time is an upper bound: calibration does not time hops apart)."""
    server, e = server_of(inputs), inputs.endpoints[endpoint]
    holds = {e.station: min(e.service_ms, e.round_trip_ms), "threads": min(token_hold_ms(e), e.round_trip_ms)}
    candidates = [
        Knee(users=servers * e.round_trip_ms / ms, bound=station, servers=servers, share=ms / e.round_trip_ms)
        for station, ms in holds.items()
        if station in LIMITED
        and ms > 0
        and e.round_trip_ms > 0
        and (servers := _all_servers(server, station)) is not None
    ]
    return min(candidates, key=lambda k: k.users, default=None)


def _all_servers(server: Server, station: Bound) -> int | None:
    per_worker = server.servers(station)
    return None if per_worker is None else server.workers * per_worker


def curve(inputs: ModelInputs, users: Sequence[int]) -> list[Model]:
    """The model of the same cell at each number of users, connections split evenly: the
    throughput-concurrency curve drawn beside a sweep's measured levels."""
    return [predict(inputs.endpoints, n, server_of(inputs)) for n in users]


def latency_ms(users: int, rps: float, think: float = 0.0) -> float | None:
    """The mean response time of N closed-loop users who think `think` s after each response:
    N / X - Z (Little's law); N / X with no think time."""
    return round(1000 * (users / rps - think), 2) if rps else None
