"""Users still starting, counted in every Locust process, so the steady phase begins once all
have started.

A locustfile's `on_start` often signs in: a dear call, made by every user at once as a level
spawns. Locust's spawning_complete fires when the users are spawned, not when their on_start
has returned, and a warm-up timed from it can end with sign-ins still running: they then fall
into the measured seconds and weigh the mix with requests the tasks send far less often.

Each process counts its users inside their on_start (desync wraps every user class's). Alone,
or as --processes' or --generator-workers' master, the steady phase waits for none to be left:
each worker says so once its own count is 0, after the master's spawning_complete reaches it.
The swarm's clock stands still while it waits (paused_s): a level, or a run held for --hold-s,
keeps all its seconds.
"""

import logging
import time
from collections.abc import Callable

import gevent
from locust import events
from locust.runners import STATE_MISSING, MasterRunner, WorkerRunner

from asyncgap.core.levels import START_LIMIT_S

STARTED = "asyncgap_started"  # a worker's message: none of its users is inside on_start
POLL_S = 0.05

_starting = 0  # this process's users inside their on_start
_started_workers: set[str] = set()  # master: the workers that said so since the last spawning
_paused_s = 0.0  # the seconds of the waits that ended
_waiting_since: float | None = None  # when the wait under way began


def counted(on_start: Callable) -> Callable:
    """`on_start`, with the user counted as starting until it returns (or raises)."""

    def start(user) -> None:
        global _starting
        _starting += 1
        try:
            on_start(user)
        finally:
            _starting -= 1

    return start


def _all_started(runner) -> bool:
    if isinstance(runner, MasterRunner):
        return {
            worker.id for worker in runner.clients.all if worker.state != STATE_MISSING
        } <= _started_workers
    return _starting == 0


def wait(environment) -> None:
    """Until every user of the swarm has started (at most levels.START_LIMIT_S)."""
    global _paused_s, _waiting_since
    _waiting_since = time.monotonic()
    try:
        while not _all_started(environment.runner):
            if time.monotonic() - _waiting_since > START_LIMIT_S:
                logging.getLogger(__name__).warning(
                    "users still in on_start after %g s: measuring", START_LIMIT_S
                )
                break
            gevent.sleep(POLL_S)
    finally:
        _paused_s, _waiting_since = paused_s(), None


def paused_s() -> float:
    """The seconds the swarm has waited for its users to start, the wait under way included."""
    return _paused_s + (time.monotonic() - _waiting_since if _waiting_since is not None else 0.0)


@events.init.add_listener
def _listen(environment, **_kwargs) -> None:
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        runner.register_message(STARTED, lambda msg, **_kw: _started_workers.add(msg.node_id))
        # synchronous, before the master tells the workers: no answer can come before it
        environment.events.spawning_complete.add_listener(lambda **_kw: _started_workers.clear())
    elif isinstance(runner, WorkerRunner):
        environment.events.spawning_complete.add_listener(lambda **_kw: gevent.spawn(_say_started, runner))


def _say_started(runner: WorkerRunner) -> None:
    while _starting:
        gevent.sleep(POLL_S)
    runner.send_message(STARTED)
