"""`python -m asyncgap.cell.verify OUT_JSON LOCUSTFILE --host URL --server-pid PID [LOCUST OPTIONS]`:
run each task of a scenario, one request at a time, on the idle server, and write per-endpoint
figures to OUT_JSON: what a cell's calibration is made from, before any load.

It does three jobs:
- it proves that every URL the scenario uses answers as the scenario expects;
- it measures each endpoint's round trip (the median call of the batch: a closed loop's cycle
  is a typical call) and its CPU cost alone: CPU seconds of the server's process tree per request over a
  batch of sequential calls, the idle server's own CPU (its timers) subtracted;
- it derives each endpoint's share of the requests from the scenario's task weights, which
  is what a closed loop of one user class sends, whatever the server does, and the think time
  after it: what the user's `wait_time` gives after each call of the batch (not slept), shared
  by a task's requests. User classes mix by the rate their users send, each cycle of the batch's
  calls and think time: a class whose users think longer sends fewer requests a user.
Then every task is measured once more hot, its CPU per request on a server kept busy, as a
cell's load keeps it: a closed burst by the users the load holds in that task, of the cell's
(`--in-flight`), for a task of one call, a few for a task of several
(asyncgap.cell.calibration.burst_users). By Little's law, a class's users are in a task for
its share of their cycle, every task's calls and think time, which takes every task's batch
first (calibration.task_users): the db scenario's reads of /notes, half its requests, take
less of a user's time than its slower query and hold fewer of its users, and a burst of all of
them on the reads would queue what the load never does. With those users the server holds
what its load will: a call that waits (a sleep, an upstream, a query that sleeps in the
database) never lets it fall asleep and pay a wake that a loaded server does not (the longer
the wait, the dearer the wake: `make bench` section 7), and a `def` endpoint keeps as many
threads busy as its load will and pays the GIL hand-offs among them.

A burst of a quarter of the users runs before it, and if the burst leaves a backlog (requests
past their wait, queued for the CPU or a thread token, BACKLOG_MIN or more a worker:
`--workers`), the two give how a request's CPU grows with the backlog: an httpx AsyncClient's
pool polls every idle connection on each pass, and a saturated loop leaves most of them idle
(docs/findings.md). The model needs that slope to tell a load that keeps up from one that
collapses.

A call that holds the loop (`--alone`) is hot back to back, one at a time: it keeps the loop
busy by itself, and calls queued behind it on a blocked loop would stall uvicorn's timer for
seconds and trip gunicorn's worker timeout (tests/e2e/test_worker_timeout.py: 4 calls of 300 ms
at once did). One at a time back to back is the batch already measured, so no burst repeats it:
the loop stays blocked for the check and the batch only (a burst after them held it 3 s more,
and tripped that timeout too). The bursts are the calibration's own, before the cell's load,
which they never read. With the server's watch files (`--watch-dir`, a user's app), a task of
one route also gives the loop its batch blocked per request (`loop_blocked_ms`): an `async def`
route found holding the loop (calibration.holds_loop) is one of those, and gets no burst either.

With the run's timer of the server's cores (`--pace-log`, asyncgap.engines.pace), each batch and
burst keeps the pace of the cores meanwhile beside its CPU: the same work costs more CPU in a slow
phase of the machine, a burst catches one phase, and a load that ran at another pace is named.

CPU is read from the kernel's per-process CPU clocks (nanoseconds), not /proc's 10 ms ticks,
so a batch of about a second measures even a /fast request's fraction of a millisecond.
It runs as its own process because importing Locust monkey-patches the standard library,
which the harness must not be.
"""

import argparse
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import gevent
import gevent.event
from locust import events
from locust.argument_parser import get_parser
from locust.env import Environment
from locust.util.load_locustfile import load_locustfile

from asyncgap.cell import blocking, tasks
from asyncgap.cell.calibration import (
    BACKLOG_MIN,
    BURST_S,
    DRAIN_S,
    HOT_USERS,
    IN_FLIGHT,
    StepRun,
    another_call,
    another_server,
    backlog_slope,
    burst_users,
    burst_window_s,
    class_users,
    holds_loop,
    per_request_ms,
    request_mix,
    task_users,
    user_cycle_s,
)
from asyncgap.cell.model import held_past_wait
from asyncgap.cell.sampler import SwitchMeter, idle_cpu_rate, outbound_connections, tree_cpu_s
from asyncgap.core.files import write_json
from asyncgap.core.names import endpoint_key
from asyncgap.engines import pace
from asyncgap.watch.watchdog import MAX_SLEEP_S, WRITE_EVERY_S

WATCH_FRESH_S = WRITE_EVERY_S + MAX_SLEEP_S  # a changed total is in its worker's file by then

# A hot burst: 0.3 s unmeasured, or more, until as many calls ended as users started; then its
# window measured (1 s, or a client pool's keep-alive cycle for a task that opens one:
# burst_window_s), and on until as many more ended. Users whose calls share a core end them in
# waves (40 sign-ins of 160 ms CPU: all 40 after 6.4 s; 20 calls of 30 ms, all 20 every 0.6 s),
# and a window must end as a wave does: one that ran on after a wave it counted charged the next
# wave's CPU to it (1 s after the first wave, then until 20 had ended, read 48 ms a call of 28).
# Each phase ends within DRAIN_S.
BURST_WARM_S = 0.3
ENDED_POLL_S = 0.01


def verify(
    locustfile: str,
    server_pid: int,
    locust_args: list[str],
    db_pid: int | None = None,
    alone: frozenset[str] = frozenset(),
    in_flight: int = IN_FLIGHT,
    workers: int = 1,
    pace_log: Path | None = None,
    steps: Path | None = None,
    watch_dir: Path | None = None,
) -> dict:
    """Per endpoint: method, calls made, the first error (None if all passed), the median round
    trip, its share of the scenario's requests, and its CPU ms per request alone and hot (the
    service's, and with a database server's pid the database's); and the pace of the server's
    cores over the last minute, the load's to be."""
    user_classes, _shapes = load_locustfile(locustfile)
    options = get_parser().parse_args(["-f", locustfile, *locust_args])
    env = Environment(
        user_classes=list(user_classes.values()), host=options.host, parsed_options=options, events=events
    )
    for user_class in user_classes.values():
        user_class.host = options.host  # what Locust's own main() does with --host
    # as Locust starts a test: a locustfile's own setup (a pool of accounts, ids to fetch) is there
    env.events.init.fire(environment=env, runner=None, web_ui=None)
    env.events.test_start.fire(environment=env)
    meter = _Meter.idle(server_pid, db_pid, pace_log, urlsplit(options.host).port or 80, watch_dir)
    calls = _Calls(env, meter, alone, in_flight, workers, steps)
    users = class_users({name: (c.fixed_count, c.weight) for name, c in user_classes.items()}, in_flight)
    for name, user_class in user_classes.items():
        calls.run_tasks(user_class, users[name])
    env.events.test_stop.fire(environment=env)
    return {
        "endpoints": calls.endpoints(),
        "user_cycle_s": user_cycle_s(calls.classes),
        "pace_recent_ms": _rounded(pace.recent_ms(pace_log)),
    }


class _PerRequest(NamedTuple):
    cpu_ms: float  # the service's CPU
    db_cpu_ms: float  # the database server's (0 without one)
    wakeups: float  # the service's voluntary context switches
    pace_ms: float | None  # the server's cores' pace meanwhile (asyncgap.engines.pace)
    outbound: int | None  # connections the server held to other servers at the end (a client's pool)


# a meter's reading: server CPU s, database CPU s, wake-ups, the timer's totals
_Reading = tuple[float, float, float, pace.Totals | None]


class _Batched(NamedTuple):
    """A task's batch: its run (StepRun), what a request cost in it, whether its calls held the
    loop, and the connections to other servers it opened (a client pool that grows on demand)."""

    run: StepRun
    alone: _PerRequest
    on_loop: bool
    opened: int


class _Burst(NamedTuple):
    cost: _PerRequest
    users: int
    rps: float

    def backlog(self, wait_ms: float, workers: int) -> float:
        return held_past_wait(self.users, self.rps, wait_ms / 1000, workers)


@dataclass(frozen=True)
class _Meter:
    """CPU clocks of the server's process tree and of the database server's (its postmaster and
    backends), each idle rate (their timers) subtracted; the server's wake-ups (voluntary
    context switches), the pace of its cores and its connections to other servers, which name a
    mechanism when CPU per request moves under load."""

    server_pid: int
    db_pid: int | None
    server_idle: float
    db_idle: float
    wakeups: SwitchMeter
    pace_log: Path | None
    port: int  # the server's: its clients' connections, not its own to others
    watch_dir: Path | None  # the server's watch files (asyncgap.watch.watchfile); None: not read

    @classmethod
    def idle(
        cls, server_pid: int, db_pid: int | None, pace_log: Path | None, port: int, watch_dir: Path | None
    ) -> "_Meter":
        db_idle = idle_cpu_rate(db_pid) if db_pid else 0.0
        wakeups = SwitchMeter(server_pid, voluntary=True)
        return cls(server_pid, db_pid, idle_cpu_rate(server_pid), db_idle, wakeups, pace_log, port, watch_dir)

    def loop_blocked(self) -> dict[str, tuple[float, float]] | None:
        """Each worker's blocked-loop total, once every worker has written its file since now: the
        watchdog rewrites it within WATCH_FRESH_S of a change, so a total not rewritten by then
        has not changed (None: no watch files)."""
        if self.watch_dir is None:
            return None
        since, by = time.time(), time.monotonic() + WATCH_FRESH_S
        while (read := blocking.loop_blocked(self.watch_dir)) and time.monotonic() < by:
            if all(written_at >= since for written_at, _ in read.values()):
                break
            gevent.sleep(0.02)
        return read or None

    def loop_blocked_ms(self, before: dict[str, tuple[float, float]] | None, requests: int) -> float | None:
        """The loop blocked per request since `before` (None without two readings)."""
        after = self.loop_blocked() if before is not None else None
        return None if after is None else round(blocking.blocked_between(before, after) * 1000 / requests, 3)

    def read(self) -> _Reading:
        db_s = tree_cpu_s(self.db_pid) if self.db_pid else 0.0
        return tree_cpu_s(self.server_pid), db_s, self.wakeups.read(), pace.read(self.pace_log)

    def per_request(self, before: _Reading, elapsed: float, requests: int) -> _PerRequest:
        """What each of the `requests` made since `before`, `elapsed` s ago, cost."""
        server_s, db_s, wakeups, _ = self.read()
        service = per_request_ms(server_s - before[0], self.server_idle, elapsed, requests)
        database = per_request_ms(db_s - before[1], self.db_idle, elapsed, requests) if self.db_pid else 0.0
        paced = pace.pace_ms(before[3], pace.read_after(self.pace_log, before[3]))
        return _PerRequest(service, database, (wakeups - before[2]) / requests, paced, self.outbound())

    def outbound(self) -> int | None:
        """Connections the server holds to other servers now (None in a container: unseen)."""
        return outbound_connections(self.server_pid, self.port)


class _Calls:
    """Each task of a scenario run one request at a time on the idle server, and what it measured;
    Locust's request events say which endpoints a task called, how fast, and with what error."""

    def __init__(
        self,
        env: Environment,
        meter: _Meter,
        alone: frozenset[str],
        in_flight: int,
        workers: int,
        steps: Path | None = None,
    ) -> None:
        self.env, self.meter, self.alone, self.in_flight, self.workers = env, meter, alone, in_flight, workers
        self.steps = steps
        self.latencies: dict[str, list[float]] = defaultdict(list)  # every call's, checks and bursts too
        self.batched: dict[str, list[float]] = defaultdict(list)  # the batch's: one call at a time, warm
        self.methods: dict[str, str] = {}
        self.reached: dict[str, str] = {}  # the method and URL path of an endpoint's first request
        self.errors: dict[str, str] = {}
        self.elsewhere: set[str] = set()  # endpoints whose requests went to another server
        self.made: Counter[str] = Counter()
        self.batch_cost: dict[str, _PerRequest] = {}  # what a request cost in the batch, one at a time
        self.classes: list[tuple[float, list[StepRun]]] = []  # each user class's users and task runs
        self.hot: dict[str, _PerRequest] = {}  # what a request cost in the hot burst
        self.hot_users: dict[str, int] = {}  # ... of how many users (the most, of several tasks')
        self.window_s: dict[str, float | None] = {}  # the window that burst asked (burst_window_s), at least
        # the burst's backlog a worker, and the CPU ms a request costs more per request more in it
        self.slope: dict[str, tuple[float, float]] = {}
        self.loop_blocked: dict[str, float | None] = {}  # the loop blocked per request in the batch
        env.events.request.add_listener(self.record)

    def record(self, request_type, name, response_time, exception=None, url=None, **_kwargs) -> None:
        key = endpoint_key(request_type, name)
        self.latencies[key].append(response_time)
        self.methods[key] = request_type
        self.made[key] += 1
        if url:
            self.reached.setdefault(key, endpoint_key(request_type, urlsplit(url).path))
        if url and (elsewhere := another_server(url, self.env.host)):
            self.errors.setdefault(key, elsewhere)
            self.elsewhere.add(key)
        elif exception is not None:
            self.errors.setdefault(key, str(exception))

    def run_tasks(self, user_class, users: float) -> None:
        """Each task of a user class batched, then each burst hot with the users the class's load
        holds in it (calibration.task_users, which needs every task's batch first); the class's
        `users` kept for the requests' mix (asyncgap.cell.calibration.request_mix)."""
        user = _started(user_class, self.env)
        measured = [(step, batch) for step in tasks.steps(user_class) if (batch := self._batch(user, step))]
        runs = [batch.run for _, batch in measured]
        in_flight = sum(task_users(users, run, runs) for run in runs)
        for step, batch in measured:
            self._burst(user_class, step, batch, task_users(users, batch.run, runs), in_flight)
        self.classes.append((users, runs))

    def _batch(self, user, step: tasks.Step) -> _Batched | None:
        """A check and a batch of calls of one task alone. A task that makes no call (one that only
        interrupts its TaskSet) has nothing to measure: None; nor one that called another server
        than the app, which gets no more calls than that check."""
        self._step(f"{step.name}: a check, then calls one at a time")
        self.made.clear()
        held = self.meter.outbound()
        step.run(user)  # the first call: a check, and the server's warm-up (threads, connections)
        if not self.made or self.elsewhere.intersection(self.made):  # no batch or burst to that one
            return None
        # a task of several routes may block the loop in one, or some: not told apart
        blocked_before = self.meter.loop_blocked() if len(self.made) == 1 else None  # the check's in
        self.made.clear()
        marks = {key: len(times) for key, times in self.latencies.items()}
        before, started = self.meter.read(), time.monotonic()
        calls, think_s = 0, 0.0
        while another_call(calls, time.monotonic() - started):
            think_s += step.run(user)
            calls += 1
        elapsed = time.monotonic() - started
        made, requests = dict(self.made), sum(self.made.values())
        alone = self.meter.per_request(before, elapsed, requests)
        blocked_ms = self.meter.loop_blocked_ms(blocked_before, requests) if len(made) == 1 else None
        for key in made:
            self.batch_cost[key] = alone
            self.batched[key].extend(self.latencies[key][marks.get(key, 0) :])
            self.loop_blocked[key] = blocked_ms
        mean_think_s = tasks.mean_think_s(step, user)  # the wait_time's own mean, when it has one
        call_s, think_s = elapsed / calls, think_s / calls if mean_think_s is None else mean_think_s
        on_loop = self.alone.intersection(made) or any(
            holds_loop(blocked_ms, alone.cpu_ms, self._round_trip(key)) for key in made
        )
        run = StepRun(step.weight, {key: count / calls for key, count in made.items()}, call_s, think_s)
        return _Batched(run, alone, bool(on_loop), opened=(alone.outbound or 0) - (held or 0))

    def _burst(self, user_class, step: tasks.Step, batch: _Batched, in_task: float, in_flight: float) -> None:
        """A hot burst of one task by the users the load holds in it (`in_task`, of its class's
        `in_flight`; one burst user for calls that hold the loop: queued on a blocked loop they
        stall it, burst_users), after a burst of a quarter of them when the task makes one call:
        the two give the backlog slope. One user at a time, back to back, is the batch: no burst
        repeats it. An endpoint several tasks or classes call keeps the burst of the most users:
        a class of one admin must not overwrite what the readers' load holds."""
        made, call_s = batch.run.requests, batch.run.calls_s
        at_once = burst_users(len(made), batch.on_loop, in_task, in_flight, self.in_flight, call_s * 1000)
        few = max(HOT_USERS, at_once // 4)
        # a quarter of the users first: what the app keeps from a burst (a pool grown to its users)
        # would make the smaller burst pay for the larger one's
        low = self._hot(user_class, step, few, call_s, BURST_S) if len(made) == 1 and few < at_once else None
        window_s = burst_window_s(batch.opened)  # the low one's 1 s: a slope
        burst = self._hot(user_class, step, at_once, call_s, window_s) if at_once > 1 else None
        for key in made:
            if at_once < self.hot_users.get(key, 0):
                continue
            self.hot_users[key] = at_once
            self.hot[key] = burst.cost if burst else batch.alone  # one at a time, or no call ended in it
            self.window_s[key] = window_s if burst else None  # none: the batch was it
            if low and burst:
                self._backlog_slope(key, batch.alone.cpu_ms, low, burst)

    def _backlog_slope(self, key: str, alone_ms: float, low: _Burst, burst: _Burst) -> None:
        """How CPU per request grew from the smaller burst's backlog to the burst's, if it left one;
        `alone_ms`, the CPU a request of the task's own batch cost."""
        wait_ms = max(self._round_trip(key) - alone_ms, 0.0)
        held = burst.backlog(wait_ms, self.workers)
        if held >= BACKLOG_MIN:
            slope = backlog_slope(
                (low.backlog(wait_ms, self.workers), low.cost.cpu_ms), (held, burst.cost.cpu_ms)
            )
            if slope is not None:
                self.slope[key] = (held, slope)

    def _hot(
        self, user_class, step: tasks.Step, at_once: int, call_s: float, window_s: float
    ) -> _Burst | None:
        """What a request of one task cost, run by `at_once` users at once: a closed burst that
        keeps the server busy as under load; None if no call ended in it. Each user starts within
        one call of the first, as a cell's load spreads a task of one call with no think time
        over its users (asyncgap.cell.drive._desynced): all at once, they queue behind each other
        as no load does. `at_once` keeps the drain short: on a blocked loop the calls still in
        flight end one after another."""
        self._step(f"{step.name}: {at_once} users at once, measured over {window_s:g} s")
        users = [_started(user_class, self.env) for _ in range(at_once)]
        stop = gevent.event.Event()

        def loop(user, after_s: float) -> None:
            gevent.sleep(after_s)
            while not stop.is_set():
                step.run(user)  # no think time: a burst keeps the server busy

        self.made.clear()
        running = [gevent.spawn(loop, user, random.uniform(0, call_s)) for user in users]
        gevent.sleep(BURST_WARM_S)  # the server's threads started
        self._until_ended(at_once)  # its connections opened, the app's pool's too; a wave ended
        self.made.clear()
        before, started = self.meter.read(), time.monotonic()
        gevent.sleep(window_s)
        self._until_ended(sum(self.made.values()) + at_once)  # and as many again: a wave's end
        requests, elapsed = sum(self.made.values()), time.monotonic() - started
        hot = self.meter.per_request(before, elapsed, requests) if requests else None
        stop.set()
        gevent.joinall(running, timeout=DRAIN_S)
        gevent.killall(running)
        return _Burst(hot, at_once, requests / elapsed) if hot else None

    def _until_ended(self, calls: int) -> None:
        """Until `calls` calls ended since `made` was cleared, at most DRAIN_S; seen within
        ENDED_POLL_S, a small part of a window."""
        by = time.monotonic() + DRAIN_S
        while sum(self.made.values()) < calls and time.monotonic() < by:
            gevent.sleep(ENDED_POLL_S)

    def _step(self, line: str) -> None:
        """A line as each step of a task begins, to the steps file: the harness bounds each step,
        not a whole calibration, which grows with the tasks (an app's OpenAPI GETs: one each)."""
        if self.steps is not None:
            with self.steps.open("a") as steps:
                steps.write(line + "\n")

    def _round_trip(self, key: str) -> float:
        """A call's round trip: the median of the batch's, one at a time on the warm server (a
        closed loop's cycle is a typical call, not its luckiest: a 100 ms sleep's fastest call
        read 99.5 ms); the fastest call without a batch."""
        batch = self.batched.get(key)
        return statistics.median(batch) if batch else min(self.latencies[key])

    def endpoints(self) -> dict[str, dict]:
        mix = request_mix(self.classes)
        unbatched = _PerRequest(0.0, 0.0, 0.0, None, 0)  # an endpoint no batch of its task called
        return {
            key: {
                "method": self.methods[key],
                "requests": len(times),
                "error": self.errors.get(key),
                "round_trip_ms": self._round_trip(key),
                "cpu_ms_alone": round(self.batch_cost.get(key, unbatched).cpu_ms, 4),
                "share": mix.get(key, (0.0, 0.0))[0],
                "think_ms": round(mix.get(key, (0.0, 0.0))[1], 4),
                "db_cpu_ms": round(self.batch_cost.get(key, unbatched).db_cpu_ms, 4),
                "cpu_ms_busy": round(self.hot[key].cpu_ms, 4) if key in self.hot else None,
                "db_cpu_ms_busy": round(self.hot[key].db_cpu_ms, 4) if key in self.hot else None,
                "wakeups_busy": round(self.hot[key].wakeups, 3) if key in self.hot else None,
                "outbound_busy": self.hot[key].outbound if key in self.hot else None,
                "hot_window_s": self.window_s.get(key),
                "backlog_busy": round(self.slope[key][0], 3) if key in self.slope else None,
                "cpu_ms_per_backlog": round(self.slope[key][1], 5) if key in self.slope else None,
                "pace_alone_ms": _rounded(self.batch_cost.get(key, unbatched).pace_ms),
                "pace_busy_ms": _rounded(self.hot[key].pace_ms) if key in self.hot else None,
                "reached": self.reached.get(key),
                "loop_blocked_ms": self.loop_blocked.get(key),
            }
            for key, times in self.latencies.items()
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _started(user_class, env: Environment):
    """A user as Locust starts one: its on_start run (a login, the target guard) before its tasks."""
    user = user_class(env)
    user.on_start()
    return user


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m asyncgap.cell.verify")
    parser.add_argument("out", type=Path, help="where to write the JSON")
    parser.add_argument("locustfile")
    parser.add_argument("--server-pid", type=int, required=True, help="the server's master process")
    parser.add_argument("--db-pid", type=int, help="the database server's postmaster, to measure its CPU too")
    parser.add_argument("--alone", action="append", default=[], help="an endpoint never measured in flight")
    parser.add_argument(
        "--in-flight",
        type=int,
        default=IN_FLIGHT,
        help="at most this many calls at a time (the cell's users)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="the server's worker processes (for a backlog each)"
    )
    parser.add_argument(
        "--pace-log", type=Path, help="the run's timer of the server's cores (asyncgap.engines.pace)"
    )
    parser.add_argument("--steps", type=Path, help="a file to write a line to as each step of a task begins")
    parser.add_argument("--watch-dir", type=Path, help="the server's watch files, for the loop it blocked")
    args, locust_args = parser.parse_known_args(argv)
    alone = frozenset(args.alone)
    try:
        found = verify(
            args.locustfile,
            args.server_pid,
            locust_args,
            args.db_pid,
            alone,
            args.in_flight,
            args.workers,
            args.pace_log,
            args.steps,
            args.watch_dir,
        )
    except tasks.Unsupported as exc:
        sys.exit(f"error: {exc}")
    write_json(args.out, found)


if __name__ == "__main__":
    main(sys.argv[1:])
