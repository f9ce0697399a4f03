"""One cell down its path, once: a fresh server, its calibration, the prediction (written before
the load), the load sampled from outside, the measured figures and their record. A cell that
cannot be measured becomes a failed cell with a one-line reason, never a crash of the run."""

import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from asyncgap.cell import measure, model, recording
from asyncgap.cell.app_cell import shapes_file
from asyncgap.cell.calibration import CalibrationError, calibrate, calibrated_user_cycle_s
from asyncgap.cell.context import Cores, RunContext
from asyncgap.cell.plan import Cell
from asyncgap.cell.sampler import Sampler
from asyncgap.core.files import write_atomic, write_json
from asyncgap.core.knobs import Knobs
from asyncgap.core.levels import START_LIMIT_S
from asyncgap.core.matrix import Scenario, Setup
from asyncgap.core.prediction import Model
from asyncgap.core.records import ERROR_NAME, CellResult, Level, Recorded, ResultsError, fields_of
from asyncgap.engines import postgres, server, supervision, swarm

PREDICTION_NAME = "prediction.json"  # the cell's (a sweep's: its last level's)
LEVEL_PREDICTIONS_NAME = "prediction-levels.json"  # a sweep's, one model per level


class CellError(RuntimeError):
    """A cell that could not be measured; the message says why."""


class Stopwatch:
    """Seconds spent in each phase of a cell, for the time-to-result benchmark."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.phases[phase] = round(now - self._last, 3)
        self._last = now


def failed(cell: Cell, exc: BaseException, clock: Stopwatch, cell_dir: Path, *, bug: bool) -> CellResult:
    """A cell that could not be measured: the same fields, empty, and a one-line reason; the
    whole message (a server's log tail, say) and the traceback go to the cell's error.txt."""
    message = str(exc) or type(exc).__name__
    reason = message.splitlines()[0].rstrip(":")  # "...:" introduces the log tail, in error.txt
    if bug:
        reason = f"unexpected {type(exc).__name__}: {reason}"
    trace = "".join(traceback.format_exception(exc))
    write_atomic(cell_dir / ERROR_NAME, f"{message}\n\n{trace}")
    return CellResult(
        **dict(cell.asked()),
        levels=[Level(users=users) for users in cell.levels],
        status="failed",
        reason=reason,
        error_file=f"{cell.key}/{ERROR_NAME}",
        timings=clock.phases,
    )


def run_cell(cell: Cell, context: RunContext) -> CellResult:
    """Measure one cell on a freshly started server; a failure becomes a 'failed' cell, not a crash."""
    cell_dir = context.out_dir / cell.key
    cell_dir.mkdir(parents=True)
    clock = Stopwatch()
    try:
        return _measure(cell, context, cell_dir, clock)
    except (server.ServerError, swarm.SwarmError, CellError, CalibrationError, ResultsError) as exc:
        return failed(cell, exc, clock, cell_dir, bug=False)
    except Exception as exc:  # a bug must cost one cell, not the run and its report
        return failed(cell, exc, clock, cell_dir, bug=True)


def _measure(cell: Cell, context: RunContext, cell_dir: Path, clock: Stopwatch) -> CellResult:
    """Start the cell's server, calibrate, predict, then load it while sampling it, and stop it."""
    setup = context.matrix.setups[cell.setup]
    db, env = _database_and_env(cell, context)
    log_path, cpus = cell_dir / "server.log", context.cores.server
    target = {"target": context.app.target} if context.app else {}
    with context.engine.serving(
        cell.setup, port=setup.port, log_path=log_path, cpus=cpus, env=env, **target
    ) as running:
        clock.lap("server_start_s")
        spec = _swarm_spec(cell, context, running, cell_dir)
        watch_dir = Path(env["ASYNCGAP_METRICS_DIR"])
        predictions = _predict(cell, context, spec, running, db, watch_dir)
        spec = _desynced(spec)
        clock.lap("calibrate_s")
        on_start = _sampler(watch_dir, running, db, context.pace_log)
        samples = context.engine.swarm(spec, cpus=context.cores.generator, on_start=on_start)
        clock.lap("load_s")
        events = supervision.worker_events(running.log_path, workers=setup.workers, timeout_s=setup.timeout_s)
        # (read before the stop, whose own signals are not events of the load)
        if running.process.poll() is not None:
            code = running.process.returncode
            raise CellError(f"the server exited with {code} during the load:\n{running.log_tail()}")
    clock.lap("server_stop_s")
    write_json(cell_dir / "samples.json", samples)
    recorded, levels = _recorded(cell, context, cell_dir, samples, predictions)
    return CellResult(
        **{**dict(cell.asked()), **fields_of(recorded, Recorded)},
        levels=levels,
        server_events=events,
        status="ok",
        timings=clock.phases,
        locust_report=f"{cell.key}/{swarm.HTML_NAME}",
    )


def _database_and_env(cell: Cell, context: RunContext) -> tuple[postgres.Cluster | None, dict[str, str]]:
    """The cell's PostgreSQL (None: SQLite, or an app without --postgres) and its server's
    environment: the demo's settings, or a user's app's own variables (none of the demo's)."""
    scenario = _scenario(cell, context)
    db = context.database if scenario.database == "postgres" or context.app else None
    database_url = db.dsn if db is not None else server.sqlite_in(context.scratch)
    env = server.environment(
        context.scratch, cell.key, upstream_url=context.upstream_url, database_url=database_url
    )
    if context.app is not None:
        return db, context.app.server_env(env["ASYNCGAP_METRICS_DIR"])
    return db, env


def _scenario(cell: Cell, context: RunContext) -> Scenario:
    """The cell's traffic: the matrix's scenario, or a user's app's own."""
    return context.app.scenario if context.app else context.matrix.scenarios[cell.scenario]


def _swarm_spec(
    cell: Cell, context: RunContext, running: server.RunningServer, cell_dir: Path
) -> swarm.SwarmSpec:
    return swarm.SwarmSpec(
        scenario=_scenario(cell, context),
        variant=cell.variant,
        host=context.engine.load_host(running),
        users=cell.users,
        duration_s=cell.duration_s,
        warmup_s=cell.warmup_s,
        out_dir=cell_dir,
        converge_pct=cell.converge_pct,
        levels=cell.levels,
        **({"shapes": shapes_file()} if context.app else {}),
    )


def _predict(
    cell: Cell,
    context: RunContext,
    spec: swarm.SwarmSpec,
    running: server.RunningServer,
    db: postgres.Cluster | None,
    watch_dir: Path,
) -> list[Model]:
    """Calibrate the idle server and predict each level, written to the cell's folder before the
    load, which cannot change them. A user's app is calibrated with its watch files read: an
    `async def` route whose calls block the loop is found there (the demo's routes declare it)."""
    setup = context.matrix.setups[cell.setup]
    calibration = calibrate(
        spec.out_dir,
        locustfile=spec.scenario.locustfile,
        server=running,
        options=[
            *spec.scenario_options(),
            f"--in-flight={cell.users}",
            f"--workers={setup.workers}",
            *([f"--pace-log={context.pace_log}"] if context.pace_log else []),
            *([f"--watch-dir={watch_dir}"] if context.app else []),
        ],
        db_pid=db and db.pid,
        station_of=context.app and context.app.station_of,
        cpus=context.cores.generator,
    )
    calibration = context.app.with_hops(calibration) if context.app else calibration
    on_postgres = db is not None and context.app is None
    server_model = _server_model(setup, context.cores, on_postgres=on_postgres)
    predictions = [model.predict(calibration, n, server_model) for n in cell.levels or [cell.users]]
    write_json(spec.out_dir / PREDICTION_NAME, predictions[-1])
    if cell.levels:
        write_json(spec.out_dir / LEVEL_PREDICTIONS_NAME, [p.model_dump(mode="json") for p in predictions])
    return predictions


def _desynced(spec: swarm.SwarmSpec) -> swarm.SwarmSpec:
    """The swarm with each user's start spread over one calibrated cycle of a user: a task's calls
    one at a time and the think time after them, the longest of the user classes' (calibration's
    `user_cycle_s`). Users spawned together otherwise come back in waves: behind a deterministic
    wait (a 100 ms sleep) for good, behind random think times for cycles, and a spread over one
    request of a task of several calls leaves them bunched: the server's thread tokens full while
    a wave queues, idle while it thinks, and the throughput short of the bound the model gives a
    steady load. The warm-up begins once every user has started (asyncgap.load.starts), so the
    spread costs no measured second; at most half the wait allowed (START_LIMIT_S), and none
    without a warm-up, which has no wait."""
    cycle_s = calibrated_user_cycle_s(spec.out_dir) or 0.0
    jitter_s = min(cycle_s, START_LIMIT_S / 2) if spec.warmup_s > 0 else 0.0
    return replace(spec, start_jitter_s=round(jitter_s, 4))


def _sampler(
    metrics_dir: Path, running: server.RunningServer, db: postgres.Cluster | None, pace_log: Path | None
) -> Callable[..., Callable[[], dict]]:
    """What the engine calls with the swarm's pids once it started: a sample of the server, the
    load generator and the database, taken from outside."""

    def start(*pids: int) -> Callable[[], dict]:
        watch = Sampler(
            metrics_dir=metrics_dir,
            server_pid=running.process.pid,
            port=running.port,
            generator_pids=pids,
            db_pid=db and db.pid,
            pace_log=pace_log,
        )
        return lambda: watch.sample().to_json()

    return start


def _recorded(
    cell: Cell, context: RunContext, cell_dir: Path, samples: list[dict], predictions: list[Model]
) -> tuple[Recorded, list[Level]]:
    """The cell's record (a sweep's: its last level's) and a sweep's levels, each beside its prediction."""
    capacity = context.cores.generator_capacity(context.engine.generator_workers)
    if not cell.levels:
        figures = measure.cell_figures(cell_dir=cell_dir, samples=samples, generator_cores=capacity)
        return recording.record(predictions[0], figures), []
    each = measure.level_figures(
        cell_dir=cell_dir, samples=samples, levels=cell.levels, generator_cores=capacity
    )
    recorded = [recording.record(p, f) for p, f in zip(predictions, each, strict=True)]
    levels = [recording.level(users, r) for users, r in zip(cell.levels, recorded, strict=True)]
    return recorded[-1], levels


def _server_model(setup: Setup, cores: Cores, *, on_postgres: bool) -> model.Server:
    """What the model needs to know of the server: its workers, their tokens and pool, its cores,
    and on PostgreSQL the `async` variant's database ceiling, asyncpg's pool per worker (SQLite
    through `databases` opens a connection per query). The thread tokens are the setup's when it
    fixes them (service.serve passes them on)."""
    knobs = Knobs()  # the harness's ASYNCGAP_* environment is the servers' too
    tokens = setup.thread_tokens if setup.thread_tokens is not None else knobs.thread_tokens
    return model.Server(
        workers=setup.workers,
        thread_tokens=tokens,
        pool_processes=knobs.cpu_processes,
        cores=cores.server_count,
        db_connections=knobs.db_pool_size if on_postgres else None,
    )
