"""One run of the matrix: the upstream once, then for each cell a fresh server, a URL check,
a swarm and its figures; results written as they come, so an interrupted run keeps its cells."""

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.matrix import Matrix
from loadtest import children, lifeline, model, results, server, supervision, swarm
from loadtest.plan import Cell
from loadtest.sampler import Sampler
from service.settings import Settings

VERIFY_TIMEOUT_S = 60.0


class CellError(RuntimeError):
    """A cell that could not be measured; the message says why."""


@dataclass(frozen=True)
class Cores:
    """Which CPUs the load generator and the server may use: separate ones when there are two."""

    generator: set[int] | None
    server: set[int] | None
    server_count: int

    @classmethod
    def split(cls) -> "Cores":
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            return cls(None, None, len(cpus))
        return cls({cpus[0]}, set(cpus[1:]), len(cpus) - 1)


def verify(cell_dir: Path, spec: swarm.SwarmSpec) -> dict[str, dict]:
    """Call every endpoint of the scenario a few times on the idle server; fail on any error."""
    found, log = cell_dir / "verify.json", cell_dir / "verify.log"
    argv = [sys.executable, "-m", "loadtest.verify", str(found), spec.scenario.locustfile,
            "--host", spec.host]  # fmt: skip
    try:
        code = children.run(argv + spec.scenario_options(), log_path=log, timeout=VERIFY_TIMEOUT_S)
    except children.Overrun:
        raise CellError(f"checking the scenario's URLs took over {VERIFY_TIMEOUT_S:g} s") from None
    if code != 0:
        raise CellError(f"checking the scenario's URLs failed ({code}):\n{log.read_text().strip()[-800:]}")
    calibration = json.loads(found.read_text())
    broken = {name: e["error"] for name, e in calibration.items() if e["error"]}
    if broken:
        raise CellError("URL check failed: " + "; ".join(f"{n}: {err}" for n, err in broken.items()))
    return calibration


class Stopwatch:
    """Seconds spent in each phase of a cell, for the time-to-result benchmark."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.phases[phase] = round(now - self._last, 3)
        self._last = now


def failed(cell: Cell, reason: str, clock: Stopwatch) -> dict:
    """A cell that could not be measured: the contract's keys, empty, and the reason."""
    empty = dict.fromkeys((*results.FIGURES, "predicted_rps", "measured_over_predicted"))
    return {**cell.fields(), "status": "failed", "reason": reason, **empty, "endpoints": {},
            "timings": clock.phases}  # fmt: skip


def run_cell(
    cell: Cell, matrix: Matrix, *, out_dir: Path, scratch: Path, upstream_url: str, cores: Cores
) -> dict:
    """Measure one cell on a freshly started server; a failure becomes a 'failed' cell, not a crash."""
    cell_dir = out_dir / cell.key
    cell_dir.mkdir(parents=True)
    setup = matrix.setups[cell.setup]
    # Fresh for every server start, even of a cell measured before (bench, --repeat).
    metrics_dir = Path(tempfile.mkdtemp(prefix=f"metrics-{cell.key}-", dir=scratch))
    env = {
        "ASYNCGAP_DATABASE_URL": f"sqlite:///{scratch / 'asyncgap.db'}",
        "ASYNCGAP_UPSTREAM_URL": upstream_url,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    clock = Stopwatch()
    try:
        with server.serving(
            cell.setup, port=setup.port, log_path=cell_dir / "server.log", cpus=cores.server, env=env
        ) as running:
            clock.lap("server_start_s")
            spec = swarm.SwarmSpec(
                scenario=matrix.scenarios[cell.scenario],
                variant=cell.variant,
                host=running.url,
                users=cell.users,
                duration_s=cell.duration_s,
                warmup_s=cell.warmup_s,
                out_dir=cell_dir,
                converge_pct=cell.converge_pct,
            )
            calibration = verify(cell_dir, spec)
            clock.lap("verify_s")

            def sampler(pid: int) -> Callable[[], dict]:
                watch = Sampler(metrics_dir=metrics_dir, server_pid=running.process.pid,
                                port=running.port, generator_pid=pid)  # fmt: skip
                return lambda: watch.sample().to_json()

            samples = swarm.run(spec, cpus=cores.generator, on_start=sampler)
            clock.lap("load_s")
            events = supervision.worker_events(
                running.log_path, workers=setup.workers, timeout_s=setup.timeout_s
            )  # read before the stop, whose own signals are not events of the load
            if running.process.poll() is not None:
                code = running.process.returncode
                raise CellError(f"the server exited with {code} during the load:\n{running.log_tail()}")
        clock.lap("server_stop_s")
        results.write_json(cell_dir / "samples.json", samples)
        settings = Settings()
        figures = results.cell_figures(
            cell_dir=cell_dir,
            samples=samples,
            calibration=calibration,
            users=cell.users,
            warmup_s=cell.warmup_s,
            server=model.Server(
                workers=setup.workers,
                thread_tokens=settings.thread_tokens,
                pool_processes=settings.cpu_processes,
                cores=cores.server_count,
            ),
        )
    except (server.ServerError, swarm.SwarmError, CellError, results.ResultsError) as exc:
        return failed(cell, str(exc), clock)
    except Exception as exc:  # a bug must cost one cell, not the run and its report
        return failed(cell, f"unexpected {exc!r}", clock)
    return {
        **cell.fields(),
        "status": "ok",
        **figures,
        "server_events": events,
        "locust_report": f"{cell.key}/{swarm.HTML_NAME}",
        "timings": clock.phases,
    }


def run(
    cells: list[Cell],
    matrix: Matrix,
    out_dir: Path,
    *,
    on_cell_start: Callable[[Cell], None] = lambda cell: None,
    on_cell_done: Callable[[Cell, dict], None] = lambda cell, result: None,
) -> list[dict]:
    """Run every cell in order; summary.json is rewritten after each so nothing done is lost."""
    cores = Cores.split()
    done: list[dict] = []
    with (
        lifeline.scratch("asyncgap-run-") as scratch,
        server.serving(
            "upstream", port=matrix.upstream.port, log_path=out_dir / "upstream.log", cpus=cores.generator
        ) as upstream,
    ):
        for cell in cells:
            on_cell_start(cell)
            result = run_cell(
                cell, matrix, out_dir=out_dir, scratch=scratch, upstream_url=upstream.url, cores=cores
            )
            done.append(result)
            results.write_json(out_dir / "summary.json", {"complete": False, "cells": done})
            on_cell_done(cell, result)
    return done
