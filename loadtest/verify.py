"""`python -m loadtest.verify OUT_JSON LOCUSTFILE --host URL --server-pid PID [LOCUST OPTIONS]`:
run each task of a scenario, one request at a time, on the idle server, and write per-endpoint
figures to OUT_JSON: what a cell's calibration is made from, before any load.

It does three jobs:
- it proves that every URL the scenario uses answers as the scenario expects;
- it measures each endpoint's round trip (the fastest call: the least disturbed by anything
  else) and its CPU cost alone: CPU seconds of the server's process tree per request over a
  batch of sequential calls, the idle server's own CPU (its timers) subtracted;
- it derives each endpoint's share of the requests from the scenario's task weights, which
  is what a closed loop with no think time sends, whatever the server does.
An endpoint whose calls wait (a sleep, an upstream, a query that sleeps in the database) is
measured once more with up to IN_FLIGHT of its calls at a time: alone, the service (and the
database backend) fall asleep inside each call and pay a wake a loaded server does not, and
the idle server's own timers (the watchdog's heartbeat), subtracted as a rate, weigh on a
call of 100 ms far more than when fifty share that time (and the longer the wait, the dearer
the wake: `make bench` section 7). So its CPU per request on a busy server is measured with
the server kept busy, not derived; at most half of DRAIN_S of calls are in flight. A call
whose station is the loop (`--alone`) is measured alone only: queued on a blocked loop, calls
in flight would stall it for seconds and trip gunicorn's worker timeout.
CPU is read from the kernel's per-process CPU clocks (nanoseconds), not /proc's 10 ms ticks,
so a batch of about a second measures even a /fast request's fraction of a millisecond.
It runs as its own process because importing Locust monkey-patches the standard library,
which the harness must not be.
"""

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import gevent
import gevent.event
from locust import events
from locust.argument_parser import get_parser
from locust.clients import HttpSession
from locust.env import Environment
from locust.util.load_locustfile import load_locustfile

from core.names import FAST, endpoint_key
from loadtest.calibration import waits
from loadtest.files import write_json
from loadtest.sampler import idle_cpu_rate, tree_cpu_s

CHECKS = 5  # calls of every task that must succeed (the first also warms the server up)
CPU_BATCH_S = 1.0  # after the checks, a fast task goes on for this long, for a stable CPU figure
CPU_BATCH_MAX = 300
WAKE_CALLS, WAKE_PAUSE_S = 20, 0.02  # /fast after a pause long enough for the server to fall idle
IN_FLIGHT, IN_FLIGHT_WARM_S, IN_FLIGHT_S = 50, 0.3, 1.0  # a waiting call, 50 at a time: 0.3 s unmeasured
DRAIN_S = 10.0  # for the calls still in flight to end (50 x 0.1 s when each blocks the loop)


def verify(locustfile: str, server_pid: int, locust_args: list[str], db_pid: int | None = None,
           alone: frozenset[str] = frozenset()) -> dict:  # fmt: skip
    """Per endpoint: method, calls made, the first error (None if all passed), the fastest round
    trip, CPU ms per request alone, and its share of the scenario's requests (and, for a call
    that waits with a database server, its service and database CPU with calls in flight); and
    the cost of one wake from idle (None without a /fast probe to measure it with)."""
    user_classes, _shapes = load_locustfile(locustfile)
    options = get_parser().parse_args(["-f", locustfile, *locust_args])
    env = Environment(
        user_classes=list(user_classes.values()), host=options.host, parsed_options=options, events=events
    )
    latencies: dict[str, list[float]] = defaultdict(list)
    methods: dict[str, str] = {}
    errors: dict[str, str] = {}
    made: Counter[str] = Counter()

    def record(request_type, name, response_time, exception=None, **_kwargs) -> None:
        key = endpoint_key(request_type, name)
        latencies[key].append(response_time)
        methods[key] = request_type
        made[key] += 1
        if exception is not None:
            errors.setdefault(key, str(exception))

    env.events.request.add_listener(record)
    idle = idle_cpu_rate(server_pid)
    db_idle = idle_cpu_rate(db_pid) if db_pid else 0.0
    cpu_ms: dict[str, float] = {}
    db_cpu_ms: dict[str, float] = {}  # the database server's CPU (its postmaster and backends)
    weight: Counter[str] = Counter()  # requests per closed-loop cycle of the scenario's tasks
    busy: dict[str, tuple[float, float]] = {}  # a waiting call's (service, database) CPU ms in flight
    for user_class in user_classes.values():
        user_class.host = options.host  # what Locust's own main() does with --host
        user = user_class(env)
        tasks = Counter(user_class.tasks)  # a task of weight w stands in the list w times
        for task, task_weight in tasks.items():
            made.clear()
            task(user)  # the first call: a check, and the server's warm-up (threads, connections)
            made.clear()
            cpu_before, started = tree_cpu_s(server_pid), time.monotonic()
            db_before = tree_cpu_s(db_pid) if db_pid else 0.0
            calls = 0
            while calls < CHECKS - 1 or (time.monotonic() - started < CPU_BATCH_S and calls < CPU_BATCH_MAX):
                task(user)
                calls += 1
            elapsed = time.monotonic() - started
            used = tree_cpu_s(server_pid) - cpu_before - idle * elapsed
            db_used = tree_cpu_s(db_pid) - db_before - db_idle * elapsed if db_pid else 0.0
            requests = sum(made.values())
            for key, count in made.items():
                cpu_ms[key] = 1000 * max(used, 0.0) / requests
                db_cpu_ms[key] = 1000 * max(db_used, 0.0) / requests
                weight[key] += user_class.weight * task_weight / len(user_class.tasks) * count / calls
            if len(made) == 1:
                (key,) = made
                if key not in alone and waits(min(latencies[key]), cpu_ms[key], db_cpu_ms[key]):
                    at_once = max(1, min(IN_FLIGHT, int(DRAIN_S * 1000 / min(latencies[key]) / 2)))
                    busy[key] = _in_flight(user_class, env, task, made, server_pid, db_pid, (idle, db_idle),
                                           at_once)  # fmt: skip
    total = sum(weight.values())
    endpoints = {
        key: {
            "method": methods[key],
            "requests": len(times),
            "error": errors.get(key),
            "round_trip_ms": min(times),
            "cpu_ms_alone": round(cpu_ms.get(key, 0.0), 4),
            "share": weight[key] / total if total else 0.0,
            "db_cpu_ms": round(db_cpu_ms.get(key, 0.0), 4),
            **({"cpu_ms_busy": busy[key][0], "db_cpu_ms_busy": busy[key][1]} if key in busy else {}),
        }
        for key, times in latencies.items()
    }
    return {"endpoints": endpoints, "wake_ms": _wake_ms(env, server_pid, idle, cpu_ms.get(FAST))}


def _in_flight(user_class, env: Environment, task, made: Counter, server_pid: int, db_pid: int | None,
               idle: tuple[float, float], at_once: int) -> tuple[float, float]:  # fmt: skip
    """(service, database) CPU ms per request of one waiting task run by `at_once` users at once,
    so that neither the service nor the database idles inside a call, as under load. `at_once`
    keeps the drain short: on a blocked loop the calls still in flight end one after another."""
    users = [user_class(env) for _ in range(at_once)]
    stop = gevent.event.Event()

    def loop(user) -> None:
        while not stop.is_set():
            task(user)

    running = [gevent.spawn(loop, user) for user in users]
    gevent.sleep(IN_FLIGHT_WARM_S)  # every user's connection opened, the server's threads started
    made.clear()
    db_cpu_s = (lambda: tree_cpu_s(db_pid)) if db_pid else (lambda: 0.0)
    cpu_before, db_before, started = tree_cpu_s(server_pid), db_cpu_s(), time.monotonic()
    gevent.sleep(IN_FLIGHT_S)
    cpu_after, db_after, elapsed = tree_cpu_s(server_pid), db_cpu_s(), time.monotonic() - started
    requests = max(sum(made.values()), 1)
    stop.set()
    gevent.joinall(running, timeout=DRAIN_S)
    gevent.killall(running)
    return (round(1000 * max(cpu_after - cpu_before - idle[0] * elapsed, 0.0) / requests, 4),
            round(1000 * max(db_after - db_before - idle[1] * elapsed, 0.0) / requests, 4))  # fmt: skip


def _wake_ms(env: Environment, server_pid: int, idle: float, hot_ms: float | None) -> float | None:
    """What one wake from idle costs the server: /fast after a pause, less /fast back to back.

    A call that waits (a sleep, a query, an upstream) lets the server idle inside it, and
    waking costs CPU a loaded server never pays (`make bench` section 7 shows it grow with the
    wait). Measured here, it can be taken off such a call's CPU alone (loadtest/calibration.py).
    """
    if hot_ms is None:
        return None
    client = HttpSession(env.host, env.events.request, user=None)
    cpu_before, started = tree_cpu_s(server_pid), time.monotonic()
    for _ in range(WAKE_CALLS):
        time.sleep(WAKE_PAUSE_S)
        client.get(FAST)
    used = tree_cpu_s(server_pid) - cpu_before - idle * (time.monotonic() - started)
    return round(max(0.0, 1000 * used / WAKE_CALLS - hot_ms), 4)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtest.verify")
    parser.add_argument("out", type=Path, help="where to write the JSON")
    parser.add_argument("locustfile")
    parser.add_argument("--server-pid", type=int, required=True, help="the server's master process")
    parser.add_argument("--db-pid", type=int, help="the database server's postmaster, to measure its CPU too")
    parser.add_argument("--alone", action="append", default=[], help="an endpoint never measured in flight")
    args, locust_args = parser.parse_known_args(argv)
    found = verify(args.locustfile, args.server_pid, locust_args, args.db_pid, frozenset(args.alone))
    write_json(args.out, found)


if __name__ == "__main__":
    main(sys.argv[1:])
