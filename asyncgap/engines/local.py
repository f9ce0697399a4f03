"""Where a cell's server and Locust run: the one part of a cell that differs between engines.

asyncgap/cell/drive.py takes every cell down the same path (calibrate, predict, load while sampling, record)
whatever the engine; an engine only starts the upstream, a cell's server and its swarm.
`local` runs them as processes of this machine, pinned apart; `compose` (asyncgap.engines.compose)
runs them as Docker Compose services.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

from asyncgap.core.matrix import Matrix
from asyncgap.engines import server, swarm

ENGINES = ("local", "compose")


class Engine(Protocol):
    name: str
    generator_workers: int

    def meta(self) -> dict:
        """What meta.json records of the engine."""

    def upstream(
        self, matrix: Matrix, out_dir: Path, scratch: Path, cpus: set[int] | None
    ) -> AbstractContextManager[str]:
        """The fake upstream for the whole run; yields the URL the cells' servers call it by."""

    def serving(
        self, setup: str, *, port: int, log_path: Path, cpus: set[int] | None, env: dict[str, str]
    ) -> AbstractContextManager[server.RunningServer]:
        """A cell's fresh server, healthy, stopped on leaving the block."""

    def load_host(self, running: server.RunningServer) -> str:
        """The URL Locust sends the load to (the same server, seen from where Locust runs)."""

    def swarm(
        self, spec: swarm.SwarmSpec, *, cpus: set[int] | None, on_start: Callable[..., Callable[[], object]]
    ) -> list[object]:
        """The cell's swarm, run to its end; on_start gets every Locust process's pid on this host."""


class LocalEngine:
    """Servers and Locust as processes of this machine, each in its own process group."""

    name = "local"

    def __init__(self, generator_workers: int = 1) -> None:
        self.generator_workers = generator_workers

    def meta(self) -> dict:
        return {"engine": self.name, "generator_workers": self.generator_workers}

    @contextmanager
    def upstream(self, matrix: Matrix, out_dir: Path, scratch: Path, cpus: set[int] | None) -> Iterator[str]:
        with server.serving(
            "upstream", port=matrix.upstream.port, log_path=out_dir / "upstream.log", cpus=cpus
        ) as running:
            yield running.url

    def serving(self, setup: str, **kwargs) -> AbstractContextManager[server.RunningServer]:
        return server.serving(setup, **kwargs)

    def load_host(self, running: server.RunningServer) -> str:
        return running.url

    def swarm(self, spec: swarm.SwarmSpec, *, cpus: set[int] | None, on_start) -> list[object]:
        return swarm.run(spec, cpus=cpus, on_start=on_start, workers=self.generator_workers)
