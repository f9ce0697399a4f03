"""The harness's own options of every swarm, and the steady phase they drive: what both the demo's
locustfiles and a user's own (`asyncgap run --app`) get by importing this module.

`parser.add_argument`, not an argument group's: only Locust's own method marks an option for
the web UI (`include_in_web_ui`), and a group's would silently stay out of it.
"""

import logging
import time

import gevent
import gevent.pool
from locust import events
from locust.log import greenlet_exception_logger
from locust.runners import MasterRunner, WorkerRunner

# latency: every request's, in HDR; desync: users spawned together start out of phase
from asyncgap.load import convergence, desync, latency, starts  # noqa: F401

RESET = "asyncgap_reset"  # the master's message: a worker drops the counts it has not reported yet
HOLD_POLL_S = 0.1


@events.init_command_line_parser.add_listener
def _add_options(parser) -> None:
    parser.add_argument(
        "--warmup",
        type=float,
        default=0.0,
        env_var="LOCUST_WARMUP",
        include_in_web_ui=False,  # read once at start-up, by the harness's headless runs
        help="seconds to discard from the stats once every user has started (steady state only)",
    )
    parser.add_argument(
        "--converge-pct",
        type=float,
        default=0.0,
        env_var="LOCUST_CONVERGE_PCT",
        include_in_web_ui=False,
        help="headless: end the swarm once its rps is known within +-PCT (95%%); --run-time caps it",
    )
    parser.add_argument(
        "--hold-s",
        type=float,
        default=0.0,
        env_var="LOCUST_HOLD_S",
        include_in_web_ui=False,
        help="headless: end the swarm after this long, its users' starts not counted (--run-time caps it)",
    )
    parser.add_argument(
        "--levels",
        default="",
        env_var="LOCUST_LEVELS",
        include_in_web_ui=False,
        help="headless, with asyncgap/load/shapes.py: users of each level of a sweep, e.g. 1,10,40",
    )
    parser.add_argument(
        "--level-s",
        type=float,
        default=10.0,
        env_var="LOCUST_LEVEL_S",
        include_in_web_ui=False,
        help="seconds each level of --levels is held (its first --warmup seconds discarded)",
    )
    parser.add_argument(
        "--allow-remote-target",
        action="store_true",
        env_var="LOCUST_ALLOW_REMOTE_TARGET",
        include_in_web_ui=False,  # the browser must not be able to lift the guard
        help="let load go to a host that is neither loopback nor a compose service (one you own)",
    )


@events.init.add_listener
def _held_run(environment, **_kwargs) -> None:
    """With --hold-s, quit as --run-time would, once the swarm has run that long beside its waits
    for users to start: a run, like a level of a sweep, keeps all its seconds."""
    options = environment.parsed_options
    if isinstance(environment.runner, WorkerRunner) or not (options and options.hold_s and options.headless):
        return

    def hold() -> None:
        began = time.monotonic()
        while time.monotonic() - began - starts.paused_s() < options.hold_s:
            gevent.sleep(HOLD_POLL_S)
        environment.runner.quit()

    def start(**_kw) -> None:
        gevent.spawn(hold).link_exception(greenlet_exception_logger(logging.getLogger(__name__)))

    environment.events.test_start.add_listener(start)


def reset_stats(runner) -> None:
    """Discard every count so far. A master alone would go on receiving its workers' next reports,
    holding up to Locust's 3 s report interval of the seconds being discarded: they drop theirs."""
    runner.stats.reset_all()
    if isinstance(runner, MasterRunner):
        runner.send_message(RESET)


@events.init.add_listener
def _reset_on_the_masters_word(environment, **_kwargs) -> None:
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.register_message(RESET, lambda **_kw: environment.runner.stats.reset_all())


@events.init.add_listener
def _steady_phase(environment, **_kwargs) -> None:
    """Once every user has started (its on_start returned) and the warm-up has passed, reset the
    stats (every figure Locust writes is steady-state); then, with --converge-pct, end a headless
    swarm once its throughput is known that well. Each level of a sweep completes a spawning of
    its own, so each level's warm-up is discarded the same way, and a level that begins ends the
    previous level's wait."""
    options = environment.parsed_options
    if isinstance(environment.runner, WorkerRunner) or not (options.warmup > 0 or options.converge_pct):
        return
    pending = gevent.pool.Group()

    def steady() -> None:
        starts.wait(environment)  # the swarm's clock stands still meanwhile
        if options.warmup > 0:
            gevent.sleep(options.warmup)
            reset_stats(environment.runner)
        if options.converge_pct and options.headless:
            convergence.watch(environment, options.converge_pct / 100)

    def start(**_kw) -> None:
        pending.kill(block=False)
        # Locust's own handler: logs it and makes Locust exit 2, so a crash fails the cell.
        pending.spawn(steady).link_exception(greenlet_exception_logger(logging.getLogger(__name__)))

    environment.events.spawning_complete.add_listener(start)
