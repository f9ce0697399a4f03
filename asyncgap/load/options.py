"""The harness's own options of every swarm, and the steady phase they drive: what both the demo's
locustfiles and a user's own (`asyncgap run --app`) get by importing this module.

`parser.add_argument`, not an argument group's: only Locust's own method marks an option for
the web UI (`include_in_web_ui`), and a group's would silently stay out of it.
"""

import logging

import gevent
from locust import events
from locust.log import greenlet_exception_logger
from locust.runners import WorkerRunner

# latency: every request's, in HDR; desync: users spawned together start out of phase
from asyncgap.load import convergence, desync, latency  # noqa: F401


@events.init_command_line_parser.add_listener
def _add_options(parser) -> None:
    parser.add_argument(
        "--warmup",
        type=float,
        default=0.0,
        env_var="LOCUST_WARMUP",
        include_in_web_ui=False,  # read once at start-up, by the harness's headless runs
        help="seconds after spawning to discard from the stats (steady state only)",
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
def _steady_phase(environment, **_kwargs) -> None:
    """After warm-up, reset the stats (every figure Locust writes is steady-state); then, with
    --converge-pct, end a headless swarm once its throughput is known that well. Each level of
    a sweep completes a spawning of its own, so each level's warm-up is discarded the same way."""
    options = environment.parsed_options
    if isinstance(environment.runner, WorkerRunner) or not (options.warmup > 0 or options.converge_pct):
        return

    def steady() -> None:
        if options.warmup > 0:
            gevent.sleep(options.warmup)
            environment.runner.stats.reset_all()
        if options.converge_pct and options.headless:
            convergence.watch(environment, options.converge_pct / 100)

    def start(**_kw) -> None:
        # Locust's own handler: logs it and makes Locust exit 2, so a crash fails the cell.
        gevent.spawn(steady).link_exception(greenlet_exception_logger(logging.getLogger(__name__)))

    environment.events.spawning_complete.add_listener(start)
