"""What every measurement of the bench works with: the matrix, the output folder, a scratch folder,
the CPUs (servers pinned apart from the load), fresh servers, and the Markdown table."""

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from asyncgap.cell.context import Cores, RunContext
from asyncgap.core.matrix import Matrix
from asyncgap.engines import server

SLEEP_USERS, SLEEP_MS = 100, 100
FIDELITY_S, FIDELITY_WARMUP_S = 10.0, 2.0  # a sleep cell of the fidelity and convergence sections
PROBE_S, PROBE_USERS = 6.0, 20  # /fast under one generator


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


@dataclass
class Lab:
    """Each measurement starts its own fresh servers through serve(), or runs cells as a run does
    them with cells_in(); `upstream_url` is set for the measurements that run cells."""

    matrix: Matrix
    out: Path
    scratch: Path
    cores: Cores = field(default_factory=Cores.split)
    upstream_url: str | None = None
    pace_log: Path | None = None  # the timer of the server's cores, while cells run (asyncgap.engines.pace)

    def serve(
        self, setup: str, label: str, env: dict[str, str] | None = None
    ) -> AbstractContextManager[server.RunningServer]:
        """A fresh server of `setup` on its SQLite in the scratch, with `env` over its settings."""
        settings = server.environment(self.scratch, label, database_url=server.sqlite_in(self.scratch))
        port = self.matrix.setups[setup].port
        log_path = self.out / "logs" / f"{label}.log"
        return server.serving(
            setup, port=port, log_path=log_path, cpus=self.cores.server, env=settings | (env or {})
        )

    def cells_in(self, folder: str) -> RunContext:
        """A run's context for cells written to `folder` of the bench's output."""
        if self.upstream_url is None:
            raise RuntimeError("a measurement that runs cells declares NEEDS_UPSTREAM")
        return RunContext(
            self.matrix,
            self.out / folder,
            self.scratch,
            self.upstream_url,
            self.cores,
            pace_log=self.pace_log,
        )


def md_table(rows: list[dict], columns: list[str]) -> str:
    def cell(value) -> str:
        if isinstance(value, float):
            return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
        return "" if value is None else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def median_round(generator: str, rounds: list[dict]) -> dict:
    """The round with the median requests per CPU-second, and every round's figure beside it."""
    middle = sorted(rounds, key=lambda r: r["requests_per_cpu_s"] or 0)[len(rounds) // 2]
    return {**middle, "generator": generator, "rounds": [r["requests_per_cpu_s"] for r in rounds]}
