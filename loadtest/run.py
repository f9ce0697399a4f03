"""One run of the matrix: the upstream once, then each cell down one path: a fresh server, its
calibration, the prediction (written before the load), the load sampled from outside, the
measured figures, and the record. Results are written as they come, so an interrupted run
keeps its cells."""

import os
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.matrix import Matrix, Setup
from core.names import FAST
from loadtest import explain, lifeline, model, postgres, results, server, supervision, swarm
from loadtest.calibration import CalibrationError, calibrate
from loadtest.engine import Engine, LocalEngine
from loadtest.files import write_atomic, write_json
from loadtest.plan import Cell
from loadtest.records import ERROR_NAME, CellResult, Level, Model, ResultsError, RunSummary
from loadtest.sampler import Sampler
from service.settings import Settings

PREDICTION_NAME = "prediction.json"  # the cell's (a sweep's: its last level's)
LEVEL_PREDICTIONS_NAME = "prediction-levels.json"  # a sweep's, one model per level


class CellError(RuntimeError):
    """A cell that could not be measured; the message says why."""


@dataclass(frozen=True)
class Cores:
    """Which CPUs the load generator and the server may use: separate ones when there are two."""

    generator: set[int] | None
    server: set[int] | None
    server_count: int

    @classmethod
    def split(cls, generator_processes: int = 1) -> "Cores":
        """One CPU for the load generator, or one per Locust worker while the server keeps one."""
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            return cls(None, None, len(cpus))
        load = max(1, min(generator_processes, len(cpus) - 1))
        return cls(set(cpus[:load]), set(cpus[load:]), len(cpus) - load)

    def generator_capacity(self, processes: int) -> int:
        """Cores the load generator can burn: one per Locust process, at most the CPUs it is pinned to."""
        return min(processes, len(self.generator)) if self.generator else processes


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
    return CellResult(**cell.fields(), status="failed", reason=reason, error_file=f"{cell.key}/{ERROR_NAME}",
                      timings=clock.phases)  # fmt: skip


def run_cell(
    cell: Cell, matrix: Matrix, *, out_dir: Path, scratch: Path, upstream_url: str, cores: Cores,
    engine: Engine | None = None, database: postgres.Cluster | None = None,
) -> CellResult:
    """Measure one cell on a freshly started server; a failure becomes a 'failed' cell, not a crash."""
    cell_dir = out_dir / cell.key
    cell_dir.mkdir(parents=True)
    clock = Stopwatch()
    try:
        figures = _measure(cell, matrix, cell_dir, scratch=scratch, upstream_url=upstream_url, cores=cores,
                           clock=clock, engine=engine or LocalEngine(), database=database)  # fmt: skip
    except (server.ServerError, swarm.SwarmError, CellError, CalibrationError, ResultsError) as exc:
        return failed(cell, exc, clock, cell_dir, bug=False)
    except Exception as exc:  # a bug must cost one cell, not the run and its report
        return failed(cell, exc, clock, cell_dir, bug=True)
    return CellResult(**{**cell.fields(), **figures}, status="ok", timings=clock.phases,
                      locust_report=f"{cell.key}/{swarm.HTML_NAME}")  # fmt: skip


def _server_env(cell: Cell, scratch: Path, upstream_url: str) -> dict[str, str]:
    """The service's settings for one cell; its metrics folder is fresh for every server start,
    even of a cell measured before (bench, --repeat)."""
    metrics_dir = tempfile.mkdtemp(prefix=f"metrics-{cell.key}-", dir=scratch)
    return {
        "ASYNCGAP_DATABASE_URL": f"sqlite:///{scratch / 'asyncgap.db'}",
        "ASYNCGAP_UPSTREAM_URL": upstream_url,
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        "ASYNCGAP_METRICS_DIR": metrics_dir,  # the watch files: the same folder, whatever the caller set
    }


def _measure(
    cell: Cell, matrix: Matrix, cell_dir: Path, *, scratch: Path, upstream_url: str, cores: Cores,
    clock: Stopwatch, engine: Engine, database: postgres.Cluster | None = None,
) -> dict:
    """Start the cell's server, calibrate, predict, then load it while sampling it, and stop it."""
    setup = matrix.setups[cell.setup]
    env = _server_env(cell, scratch, upstream_url)
    db = database if matrix.scenarios[cell.scenario].database == "postgres" else None
    if db is not None:
        env["ASYNCGAP_DATABASE_URL"] = db.dsn
    with engine.serving(
        cell.setup, port=setup.port, log_path=cell_dir / "server.log", cpus=cores.server, env=env
    ) as running:
        clock.lap("server_start_s")
        spec = swarm.SwarmSpec(
            scenario=matrix.scenarios[cell.scenario],
            variant=cell.variant,
            host=engine.load_host(running),
            users=cell.users,
            duration_s=cell.duration_s,
            warmup_s=cell.warmup_s,
            out_dir=cell_dir,
            converge_pct=cell.converge_pct,
            levels=cell.levels,
        )
        calibration = calibrate(cell_dir, locustfile=spec.scenario.locustfile, host=running.url,
                                server_pid=running.process.pid, options=spec.scenario_options(),
                                db_pid=db and db.pid)  # fmt: skip
        server_model = postgres.with_pool(_server_model(setup, cores), db)
        predictions = [model.predict(calibration, n, server_model) for n in cell.levels or [cell.users]]
        write_json(cell_dir / PREDICTION_NAME, predictions[-1])  # before the load, which cannot change it
        if cell.levels:
            write_json(cell_dir / LEVEL_PREDICTIONS_NAME, [p.model_dump(mode="json") for p in predictions])
        clock.lap("calibrate_s")

        def sampler(*pids: int) -> Callable[[], dict]:
            watch = Sampler(metrics_dir=Path(env["PROMETHEUS_MULTIPROC_DIR"]), server_pid=running.process.pid,
                            port=running.port, generator_pids=pids, db_pid=db and db.pid)  # fmt: skip
            return lambda: watch.sample().to_json()

        samples = engine.swarm(spec, cpus=cores.generator, on_start=sampler)
        clock.lap("load_s")
        events = supervision.worker_events(running.log_path, workers=setup.workers, timeout_s=setup.timeout_s)
        # (read before the stop, whose own signals are not events of the load)
        if running.process.poll() is not None:
            code = running.process.returncode
            raise CellError(f"the server exited with {code} during the load:\n{running.log_tail()}")
    clock.lap("server_stop_s")
    write_json(cell_dir / "samples.json", samples)
    capacity = cores.generator_capacity(engine.generator_workers)
    if not cell.levels:
        figures = results.cell_figures(cell_dir=cell_dir, samples=samples, warmup_s=cell.warmup_s,
                                       generator_cores=capacity)  # fmt: skip
        return {**record(predictions[0], figures), "server_events": events}
    each = results.level_figures(cell_dir=cell_dir, samples=samples, levels=cell.levels,
                                 generator_cores=capacity)  # fmt: skip
    recorded = [record(p, f) for p, f in zip(predictions, each, strict=True)]
    levels = [level(users, r) for users, r in zip(cell.levels, recorded, strict=True)]
    return {**recorded[-1], "levels": levels, "server_events": events}  # the cell: its last level


def _server_model(setup: Setup, cores: Cores) -> model.Server:
    """What the model needs to know of the server: its workers, their tokens and pool, its cores.
    The thread tokens are the setup's when it fixes them (service.serve passes them on)."""
    settings = Settings()  # the harness's ASYNCGAP_* environment is the servers' too
    tokens = setup.thread_tokens if setup.thread_tokens is not None else settings.thread_tokens
    return model.Server(workers=setup.workers, thread_tokens=tokens,
                        pool_processes=settings.cpu_processes, cores=cores.server_count)  # fmt: skip


def record(prediction: Model, figures: dict) -> dict:
    """The measured figures beside the prediction made before the load. The kernel's measured
    connection split is the one fact of the load the model takes (the even split stays beside
    it); the reason, if theory missed, is measured too."""
    split = figures["connections_per_worker"] or prediction.inputs.connections
    final = model.recompute(prediction.inputs.model_copy(update={"connections": split}))
    rps = figures["rps"]
    final.reason = explain.reason(
        final, rps=rps, cpu_ms_per_request=figures["server_cpu_ms_per_request"],
        tokens_busy_max=figures["tokens_busy_max"], loop_lag_max_ms=figures["loop_lag_max_ms"],
        generator_cores_busy=figures["generator_cores_busy"], generator_bound=figures["generator_bound"],
        failures=figures["failures"],
    )  # fmt: skip
    predicted = final.predicted_rps
    endpoints = final.inputs.endpoints
    total_share = sum(e.share for e in endpoints.values()) or 1.0
    for name, stats in figures["endpoints"].items():
        if name in endpoints:
            stats["predicted_rps"] = round(predicted * endpoints[name].share / total_share, 2)
            stats["service_ms"] = endpoints[name].service_ms
    return {
        **figures,
        "model": final,
        "predicted_rps": predicted,
        "predicted_rps_even_split": prediction.predicted_rps,
        "measured_over_predicted": round(rps / predicted, 3) if predicted else None,
    }


def level(users: int, recorded: dict) -> Level:
    """One level of a sweep, from what record() made of its figures."""
    fast = recorded["endpoints"].get(FAST)
    final: Model = recorded["model"]
    return Level(
        users=users, **{k: recorded[k] for k in results.LEVEL_FIGURES}, fast_p95_ms=fast and fast["p95_ms"],
        predicted_latency_ms=model.latency_ms(users, recorded["predicted_rps"]), bound=final.bound,
        reason=final.reason,
    )  # fmt: skip


def run(
    cells: list[Cell],
    matrix: Matrix,
    out_dir: Path,
    *,
    on_cell_start: Callable[[Cell], None] = lambda cell: None,
    on_cell_done: Callable[[Cell, CellResult], None] = lambda cell, result: None,
    engine: Engine | None = None,
) -> list[CellResult]:
    """Run every cell in order; summary.json is rewritten after each so nothing done is lost."""
    engine = engine or LocalEngine()
    cores = Cores.split(engine.generator_workers)
    done: list[CellResult] = []
    with (
        lifeline.scratch("asyncgap-run-") as scratch,
        engine.upstream(matrix, out_dir, scratch, cores.generator) as upstream_url,
        postgres.for_run([matrix.scenarios[c.scenario] for c in cells], scratch, cores.server) as database,
    ):
        for cell in cells:
            on_cell_start(cell)
            result = run_cell(
                cell, matrix, out_dir=out_dir, scratch=scratch, upstream_url=upstream_url, cores=cores,
                engine=engine, database=database,
            )
            done.append(result)
            RunSummary(complete=False, cells=done).save(out_dir)
            on_cell_done(cell, result)
    return done
