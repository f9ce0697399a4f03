"""Users released together, out of phase: each user's first request waits a random part of a cycle.

N closed-loop users spawned at once send their first requests together; behind a deterministic
wait (a 100 ms sleep, an upstream's fixed delay) they come back together too, and stay in phase:
the server sees waves of N requests and idles between them, a load that no steady state of the
model describes (its bounds assume arrivals spread over the cycle). --start-jitter-ms J delays
each user's start (its on_start, so a login is spread too) by a uniform draw in [0, J); the
harness passes one calibrated cycle of a user, a task's calls and the think time after them (the
longest of its user classes'), before the warm-up, which starts once every user has started
(asyncgap.load.starts counts them). Applied to every user class Locust runs, a user's own
locustfile's included.
"""

import random

import gevent
from locust import events

from asyncgap.load import starts


@events.init_command_line_parser.add_listener
def _add_option(parser) -> None:
    parser.add_argument(
        "--start-jitter-ms",
        type=float,
        default=0.0,
        env_var="LOCUST_START_JITTER_MS",
        include_in_web_ui=False,
        help="delay each user's start by a random 0..MS, so users spawned together are out of phase",
    )


def jittered(on_start):
    """`on_start` after a random part of --start-jitter-ms (read at start: a worker gets its
    options from the master with each spawn)."""

    def start(user) -> None:
        options = user.environment.parsed_options
        jitter_s = getattr(options, "start_jitter_ms", 0.0) / 1000 if options else 0.0
        if jitter_s > 0:
            gevent.sleep(random.uniform(0, jitter_s))
        on_start(user)

    return start


@events.init.add_listener
def _desync(environment, **_kwargs) -> None:
    """Every user class's on_start, jittered and counted while it runs (once: init fires once a
    process)."""
    classes = {*environment.user_classes, *(environment.available_user_classes or {}).values()}
    for cls in classes:
        if not getattr(cls.on_start, "desynced", False):
            cls.on_start = starts.counted(jittered(cls.on_start))
            cls.on_start.desynced = True
