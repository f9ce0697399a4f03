"""What a cell needs from its run, in one frozen record handed down the cell's path: the run's
folder and matrix, its scratch, the upstream, the CPUs each side may use, the engine, the
run's PostgreSQL, and a user's own app when it is one. Nothing of one cell changes it, so cells
cannot leak into each other."""

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from asyncgap.cell.app_cell import AppRun
from asyncgap.core.matrix import Matrix
from asyncgap.engines import postgres
from asyncgap.engines.local import Engine, LocalEngine


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


@dataclass(frozen=True)
class RunContext:
    """Where and with what a cell runs. `database` is None when no scenario of the run uses
    PostgreSQL; a cell on SQLite gets its database in the scratch folder."""

    matrix: Matrix
    out_dir: Path  # the run's folder: each cell writes its own folder in it
    scratch: Path  # removed when the run ends, whatever happens (asyncgap.engines.lifeline)
    upstream_url: str
    cores: Cores
    engine: Engine = field(default_factory=LocalEngine)
    database: postgres.Cluster | None = None
    app: AppRun | None = None  # a user's own app (`asyncgap run --app`); None: the demo
    pace_log: Path | None = None  # the timer of the server's cores (asyncgap.engines.pace); None: none runs

    def writing_to(self, out_dir: Path) -> "RunContext":
        """The same run's context with the cells' folders in `out_dir` (the bench's sections)."""
        return replace(self, out_dir=out_dir)
