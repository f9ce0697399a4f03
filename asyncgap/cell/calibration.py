"""Before a cell's load: check its URLs and measure each endpoint, alone and on a busy server.

The round trip, the CPU alone and the share come from `asyncgap.cell.verify` (its own process);
the station comes from the route's own declaration in the server's /openapi.json. What a
call spends outside the server's stations (the client, the kernel, loopback) is the round
trip of the /fast probe less its CPU: /fast holds the loop only for that CPU. So

    service_ms(e) = max(round_trip(e) - (round_trip(/fast) - cpu_alone(/fast)), cpu_alone(e))

Without that, a 1 ms database call would count a 0.5 ms client round trip as time holding
the event loop, and the loop's bound would come out a third too low.

CPU per request is measured twice (verify): alone, one call at a time (`cpu_ms_alone`, for the
record), and hot, in a closed burst of the users the cell's load holds in that task, by Little's
law from every task's batch (`task_users`, `burst_users`), the model's input (`cpu_ms_busy`).
Alone, a server idles between calls and inside a call that waits, and pays for waking; hot, it
pays what a loaded server pays instead: GIL hand-offs among a full thread pool, batched wake-ups,
a pool's poll loop. With a database server, its CPU is measured
the same two ways (`db_cpu_ms`, `db_cpu_ms_busy`). A task whose calls open connections to other
servers is measured hot over a client pool's keep-alive cycle, not 1 s of it (`burst_window_s`).
Each batch and burst keeps the pace of the server's cores meanwhile (`pace_alone_ms`,
`pace_busy_ms`: asyncgap.engines.pace): a virtual machine's core spends more CPU time on the
same work in some seconds than in others, and a load that ran at another pace than its
calibration is named (asyncgap/cell/explain.py). When a burst
leaves a backlog (`asyncgap.cell.model.held_past_wait`), it and a burst of a quarter of its
users before it give how much a request's CPU grows with the backlog (`backlog_slope`): what
tells a load that keeps up from one that collapses (asyncgap/cell/model.py).
"""

import json
import math
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple
from urllib.parse import SplitResult, urlsplit

import httpx
from pydantic import TypeAdapter

from asyncgap.core.files import write_json
from asyncgap.core.names import FAST, endpoint_key
from asyncgap.core.prediction import EndpointCalibration
from asyncgap.core.stations import OPENAPI_KEY, STATIONS
from asyncgap.engines import children
from asyncgap.engines.server import RunningServer

TIMEOUT_S = 90.0  # for each step of a task (its check and batch, each burst): verify says as each begins
NAME = "calibration.json"
VERIFY_NAME = "verify.json"  # what verify found: the endpoints, and the users' longest cycle (`user_cycle_s`)
STEPS_NAME = "verify.steps"  # where it says so
HOT_USERS = 4  # a task of several calls, and any task's burst at least: keeps a 2-core server busy
IN_FLIGHT = 100  # a task of one call: up to this many users at once, never more than the cell's
DRAIN_S = 10.0  # for the calls still in flight to end (100 x 0.1 s if they ended one by one)
BACKLOG_MIN = 5.0  # requests a worker holds past their wait that make a burst's backlog worth a slope
BURST_S = 1.0  # a hot burst's measured window
# ... and a task's that opens connections to other servers: a client pool's keep-alive cycle
# (httpx's idle connections expire after 5 s, and those a burst opened together expire together)
POOLED_BURST_S = 6.0
CHECKS = 5  # runs of every task, its check the first (which also warms the server up), that
# must succeed, or as many as fit this after the check, one at least: a task that takes 20 s
# runs three times, a check and 40 s, within TIMEOUT_S, not cut off at its fifth run
CHECKS_WITHIN_S = 45.0
CPU_BATCH_S = 1.0  # after the checks, a fast task goes on for this long, for a stable CPU figure
CPU_BATCH_MAX = 300
HELD_SHARE = 0.5  # of a call's round trip, the loop held past its CPU that makes it hold the loop


class CalibrationError(RuntimeError):
    """An endpoint that failed its check or could not be measured: its cell fails before the load."""


def _measure(cell_dir: Path, verify_args: list[str], cpus: set[int] | None) -> dict:
    """`python -m asyncgap.cell.verify` with `verify_args` after its output file, on the load
    generator's `cpus` (a burst of 100 users on the server's core would take it from the server
    being measured); what it found."""
    found, log, steps = cell_dir / VERIFY_NAME, cell_dir / "verify.log", cell_dir / STEPS_NAME
    argv = [sys.executable, "-m", "asyncgap.cell.verify", str(found), "--steps", str(steps), *verify_args]
    try:
        code = children.run(argv, log_path=log, timeout=TIMEOUT_S, cpus=cpus, progress_path=steps)
    except children.Overrun:
        began = steps.read_text().splitlines() if steps.exists() else []
        at = f"at {began[-1]!r}" if began else "before its first task"
        raise CalibrationError(
            f"checking the scenario's URLs: one step took over {TIMEOUT_S:g} s, {at}"
        ) from None
    if code != 0:
        tail = log.read_text(errors="replace").strip()[-800:]
        raise CalibrationError(f"checking the scenario's URLs failed ({code}):\n{tail}")
    measured = json.loads(found.read_text())
    broken: dict[str, list[str]] = {}  # an error, and the endpoints that had it
    for name, endpoint in measured["endpoints"].items():
        if endpoint["error"]:
            broken.setdefault(endpoint["error"], []).append(name)
    if broken:
        raise CalibrationError(
            "URL check failed: " + "; ".join(f"{', '.join(n)}: {e}" for e, n in broken.items())
        )
    return measured


def declared_stations(host: str) -> dict[str, str]:
    """Endpoint key -> station, from the declarations in the server's OpenAPI schema."""
    try:
        schema = httpx.get(f"{host}/openapi.json", timeout=10).raise_for_status().json()
    except (httpx.HTTPError, ValueError) as exc:
        raise CalibrationError(f"cannot read the stations from {host}/openapi.json: {exc}") from None
    return {
        endpoint_key(method.upper(), path): operation[OPENAPI_KEY]
        for path, methods in schema.get("paths", {}).items()
        for method, operation in methods.items()
        if isinstance(operation, dict) and operation.get(OPENAPI_KEY) in STATIONS
    }


def another_call(calls: int, spent_s: float) -> bool:
    """Whether a task's batch (the runs after its check) runs it once more, after `calls` runs in
    `spent_s`: up to CHECKS - 1 while another fits CHECKS_WITHIN_S (one at least), then more
    for CPU_BATCH_S."""
    if calls == 0:
        return True
    if calls < CHECKS - 1 and spent_s * (calls + 1) / calls <= CHECKS_WITHIN_S:
        return True
    return spent_s < CPU_BATCH_S and calls < CPU_BATCH_MAX


def holds_loop(loop_blocked_ms: float | None, cpu_ms: float, round_trip_ms: float) -> bool:
    """Whether an endpoint's calls held the event loop, beyond the CPU they spent (which the cpu
    bound counts), for HELD_SHARE of their round trip or more, one at a time: an `async def`
    calling blocking code (`time.sleep`, a blocking client), which its route's `async def` does
    not tell. The watchdog's blocked time (stalls past its threshold) says it, before any load."""
    return loop_blocked_ms is not None and loop_blocked_ms - cpu_ms >= HELD_SHARE * round_trip_ms


def burst_users(
    calls: int, holds_loop: bool, in_task: float, in_flight: float, cell_users: int, task_ms: float
) -> int:
    """Users of a task's hot burst: those the cell's load holds in the task (`in_task`:
    task_users), HOT_USERS at least where its class keeps that many in flight (`in_flight`, its
    tasks' task_users summed: a task of a sliver of the time still meets a server the others
    keep busy, but users that mostly think leave it idle, and a burst of 4 would not), never
    more than the cell's. A task of one call gets them all (up to IN_FLIGHT), so that its calls
    are in flight as under load: the waits, the threads they hold and the GIL hand-offs among
    them (4 users read db-pg sync's service CPU at 0.57 ms a request on gunicorn-2w, where 100
    users' load paid 0.94). A task of several calls gets HOT_USERS at most: calibration must not
    push an app past what its load will (a pool that deadlocks past 40 calls, FastAPI's issue
    3205). Few enough that a burst drains in DRAIN_S, and one for a call that holds the loop:
    calls queued on a blocked loop stall uvicorn's timer and trip gunicorn's worker timeout
    (tests/e2e/test_worker_timeout.py)."""
    if holds_loop:
        return 1
    most = IN_FLIGHT if calls == 1 else HOT_USERS
    held = min(max(whole_users(in_task), min(HOT_USERS, whole_users(in_flight))), cell_users)
    return max(1, min(most, held, int(DRAIN_S * 1000 / task_ms)))


def whole_users(expected: float) -> int:
    """Users enough for an expected number of them, past float noise: 75.00000000000001 is 75."""
    return math.ceil(round(expected, 6))


def burst_window_s(opened: int) -> float:
    """How long a hot burst is measured: POOLED_BURST_S when the task's own calls opened
    connections to other servers (after its batch the server held more than before its first
    call: a client pool that grows on demand), else BURST_S. Such a pool recycles idle
    connections on a timer: httpx's expire after 5 s, those a burst opened together expire
    together, and the pool's passes then poll fewer idle sockets, a cheaper second about every
    5.3 s under load (docs/runs/pool-cycle). A window of 1 s caught that second or missed it;
    one of 6 s holds one or two of them. Unseen connections (a container's) open none, nor does
    a task whose pool another task opened; a database pool that opens on demand gets 6 s too."""
    return POOLED_BURST_S if opened > 0 else BURST_S


def per_request_ms(cpu_s: float, idle_rate: float, elapsed_s: float, requests: int) -> float:
    """CPU ms per request over a batch or a burst: the process tree's CPU seconds used, less what
    the idle server burns in that time (its timers, the watchdog's heartbeat), over the requests
    that ended in it. Never below 0: the idle rate is itself a measurement."""
    if requests <= 0:
        raise ValueError("no request ended: no CPU per request")
    return max(cpu_s - idle_rate * elapsed_s, 0.0) * 1000 / requests


def backlog_slope(low: tuple[float, float], high: tuple[float, float]) -> float | None:
    """CPU ms per request more for each request more in a worker's backlog, from two bursts'
    (backlog, CPU ms per request); None unless they are BACKLOG_MIN apart. Never below 0 (a
    cheaper request when backlogged is the batching the hot figure holds already), and never
    steeper than puts the busier burst's request at 0 CPU with no backlog."""
    (low_backlog, low_ms), (high_backlog, high_ms) = low, high
    if high_backlog - low_backlog < BACKLOG_MIN:
        return None
    return min(max((high_ms - low_ms) / (high_backlog - low_backlog), 0.0), high_ms / high_backlog)


class StepRun(NamedTuple):
    """A task of a user class as its batch ran it, one call at a time: its weight among the
    class's tasks, the requests a run of it made to each endpoint, and a run's time (its calls,
    and the think time its user's wait_time gives after them)."""

    weight: float
    requests: Mapping[str, float]
    calls_s: float
    think_s: float


def class_users(classes: Mapping[str, tuple[int, float]], users: int) -> dict[str, float]:
    """The users Locust gives each user class (name: its fixed_count and weight) of `users`:
    each class's fixed_count first, shared in proportion when they are more than `users`, then
    the rest by weight (locust.dispatch), so that a class of one admin stays one user."""
    fixed = {name: count for name, (count, _) in classes.items() if count}
    weights = {name: weight for name, (count, weight) in classes.items() if not count}
    pinned, total = sum(fixed.values()), sum(weights.values())
    if pinned and pinned >= users:
        return {name: users * fixed.get(name, 0) / pinned for name in classes}
    rest = users - pinned
    return {name: fixed.get(name) or (rest * weights[name] / total if total else 0.0) for name in classes}


def request_rates(users: float, runs: Sequence[StepRun]) -> Iterator[tuple[str, float, float]]:
    """Each endpoint's requests a second from a user class's `users`, and the think time after
    each of them (ms). Its users pick a task by weight, run it and think, so a class with a
    longer cycle sends fewer requests a user: beside users that never think, those that think
    1 s after 10 ms calls send 1 in 100 of the requests, where their weights give half. A mix of
    classes is by these rates, not by the weights; within a class, the two agree."""
    picked, cycle_s = sum(run.weight for run in runs), class_cycle_s(runs)
    if cycle_s <= 0:
        return
    for run in runs:
        made = sum(run.requests.values())
        for endpoint, requests in run.requests.items():
            rate = users * run.weight / picked * requests / cycle_s
            yield endpoint, rate, 1000 * run.think_s / made


def request_mix(classes: Sequence[tuple[float, Sequence[StepRun]]]) -> dict[str, tuple[float, float]]:
    """Each endpoint's share of the requests and the think time after it (ms), from each user
    class's users and its tasks' runs: the classes' request_rates summed (0 and 0 for an
    endpoint of a class that gets no user)."""
    rates: Counter[str] = Counter()
    thinking: Counter[str] = Counter()
    for users, runs in classes:
        for endpoint, rate, think_ms in request_rates(users, runs):
            rates[endpoint] += rate
            thinking[endpoint] += rate * think_ms
    total = sum(rates.values())
    return {e: (r / total if total else 0.0, thinking[e] / r if r else 0.0) for e, r in rates.items()}


def class_cycle_s(runs: Sequence[StepRun]) -> float:
    """A user's mean time from one task to its next, as the batch ran them: a task's calls one at
    a time and the think time after them, over its class's tasks by weight (0 without a run)."""
    picked = sum(run.weight for run in runs)
    return sum(run.weight * (run.calls_s + run.think_s) for run in runs) / picked if picked else 0.0


def task_users(users: float, run: StepRun, runs: Sequence[StepRun]) -> float:
    """The users a class's load holds in one task's calls at a time, by Little's law: its `users`
    pick the task by weight and spend the task's calls in it, of a cycle of every task's calls
    and think time (class_cycle_s). What a hot burst of that task runs: the db scenario's reads
    of /notes, half its requests, hold fewer users than its slower query."""
    picked, cycle_s = sum(r.weight for r in runs), class_cycle_s(runs)
    return users * run.weight / picked * run.calls_s / cycle_s if picked and cycle_s > 0 else 0.0


def user_cycle_s(classes: Sequence[tuple[float, Sequence[StepRun]]]) -> float | None:
    """The longest cycle of a user class that gets users (class_cycle_s; None without one): what
    a swarm spreads its users' starts over, so that each class's come back spread over a cycle
    of theirs at least. A task of three calls and 4 s of think time takes a user 4.85 s, where a
    request's own cycle is a third of it."""
    return max((cycle for users, runs in classes if users and (cycle := class_cycle_s(runs))), default=None)


def calibrated_user_cycle_s(cell_dir: Path) -> float | None:
    """The users' longest cycle a cell's calibration found (None: it found none, or did not run)."""
    found = cell_dir / VERIFY_NAME
    return json.loads(found.read_text()).get("user_cycle_s") if found.exists() else None


def another_server(url: str, host: str) -> str | None:
    """What is wrong with a request sent to another server than the app under test, if it was:
    a locustfile that writes its URLs with a host of their own (`f"{HOST}/api"`) ignores the
    run's --host, and its load would go to that server (a refused connection, or someone else's
    service), so the cell fails before any load."""
    sent, app = urlsplit(url), urlsplit(host)
    if (sent.scheme, sent.hostname, _port(sent)) == (app.scheme, app.hostname, _port(app)):
        return None
    return (
        f"sent to {sent.scheme}://{sent.netloc}, not to the app under test at {host}: the "
        "locustfile names a host of its own; call the path alone so that the run's host applies"
    )


def _port(url: SplitResult) -> int | None:
    return url.port or {"http": 80, "https": 443}.get(url.scheme)


def outside_ms(measured: dict[str, dict]) -> float:
    """What a call spends outside the server's stations, judged by /fast (0 without it)."""
    fast = measured.get(FAST)
    return max(0.0, fast["round_trip_ms"] - fast["cpu_ms_alone"]) if fast else 0.0


def calibrate(
    cell_dir: Path,
    *,
    locustfile: str,
    server: RunningServer,
    options: list[str],
    db_pid: int | None = None,
    station_of: Callable[[str, str | None], str | None] | None = None,
    cpus: set[int] | None = None,
) -> dict[str, EndpointCalibration]:
    """Check and measure every endpoint of a scenario; written to the cell's calibration.json.
    With a database server's pid, its CPU per request is measured too (`db_cpu_ms`). A user's
    app gives `station_of` (an endpoint's station, from its routes: asyncgap.core.ownapp)."""
    stations = declared_stations(server.url) if station_of is None else {}
    # Calls that hold the loop are measured hot with few in flight: queued on a blocked loop they
    # would stall it for seconds, and gunicorn's timeout would kill the worker being measured.
    on_loop = sorted(name for name, station in stations.items() if station == "loop")
    verify_args = [locustfile, "--host", server.url, "--server-pid", str(server.process.pid)]
    verify_args += ["--db-pid", str(db_pid)] if db_pid else []
    found = _measure(cell_dir, [*verify_args, *(f"--alone={name}" for name in on_loop), *options], cpus)
    if station_of is not None:
        stations = {
            name: "loop" if station == "delay" and _held_loop(m) else station
            for name, m in found["endpoints"].items()
            if (station := station_of(name, m.get("reached")))
        }
        why = "no route of the app matches {}"
    else:
        why = "no station declared for {} (add openapi_extra=declare(...) to its route)"
    unknown = sorted(set(found["endpoints"]) - set(stations))
    if unknown:
        raise CalibrationError(
            why.format(", ".join(_sent_to(name, found["endpoints"][name]) for name in unknown))
        )
    return _record(cell_dir, found, stations)


def _held_loop(measured: dict) -> bool:
    """An awaited endpoint (station `delay`) whose calls held the loop, one at a time: its station
    is the loop, as an `async-blocking` one's."""
    return holds_loop(measured.get("loop_blocked_ms"), measured["cpu_ms_alone"], measured["round_trip_ms"])


def _sent_to(name: str, measured: dict) -> str:
    """An endpoint by its name, and the URL its requests went to when the name is a label."""
    reached = measured.get("reached")
    return f"{name} (sent to {reached})" if reached and reached != name else name


def _record(cell_dir: Path, found: dict, stations: dict[str, str]) -> dict[str, EndpointCalibration]:
    """The calibration of measured endpoints at their stations, written to calibration.json."""
    measured = found["endpoints"]
    outside = outside_ms(measured)
    calibration = {
        name: EndpointCalibration(
            method=m["method"],
            station=stations[name],
            share=m["share"],
            round_trip_ms=m["round_trip_ms"],
            think_ms=m.get("think_ms", 0.0),
            service_ms=round(max(m["round_trip_ms"] - outside, m["cpu_ms_alone"]), 4),
            cpu_ms_alone=m["cpu_ms_alone"],
            cpu_ms_busy=m["cpu_ms_alone"] if m["cpu_ms_busy"] is None else m["cpu_ms_busy"],
            db_cpu_ms=m.get("db_cpu_ms", 0.0),
            db_cpu_ms_busy=m.get("db_cpu_ms_busy"),
            wakeups_busy=m.get("wakeups_busy"),
            outbound_busy=m.get("outbound_busy"),
            backlog_busy=m.get("backlog_busy"),
            cpu_ms_per_backlog=m.get("cpu_ms_per_backlog"),
            pace_alone_ms=m.get("pace_alone_ms"),
            pace_busy_ms=m.get("pace_busy_ms"),
            pace_expected_ms=found.get("pace_recent_ms"),
            reached=m.get("reached"),
            loop_blocked_ms=m.get("loop_blocked_ms"),
        )
        for name, m in measured.items()
    }
    write_json(cell_dir / NAME, TypeAdapter(dict[str, EndpointCalibration]).dump_python(calibration))
    return calibration
