"""Run one headless Locust swarm against a started server and watch it until it ends."""

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from asyncgap.core.levels import START_LIMIT_S, STATS_SUFFIX
from asyncgap.core.matrix import Scenario
from asyncgap.core.variants import AS_WRITTEN
from asyncgap.engines import children, server

CSV_PREFIX = "locust"
HTML_NAME = "locust.html"
JSON_NAME = "locust.json"  # Locust appends .json to --json-file
SHAPES = "locustfiles/shapes.py"  # the step ramp for the demo (a path the compose images share)
LEVELS_NAME = JSON_NAME.removesuffix(".json") + STATS_SUFFIX  # a sweep's stats, level by level
SAMPLE_EVERY_S = 0.5
OVERRUN_MARGIN_S = 15.0  # Locust normally exits within a second or two of --run-time
EXPECT_WORKERS_S = 30.0  # a master gives up on workers that have not joined by then (exit 1)
MASTER_HOST = "127.0.0.1"  # a local master listens for its workers on loopback only


class SwarmError(RuntimeError):
    """Locust failed to run (not: requests failed, which is data)."""


@dataclass(frozen=True)
class SwarmSpec:
    """Everything one swarm needs; argv() is the only place Locust's command line is built."""

    scenario: Scenario
    variant: str
    host: str
    users: int
    duration_s: float
    warmup_s: float
    out_dir: Path
    processes: int = 1  # Locust --processes: more than one core of load generation
    converge_pct: float | None = None  # end early once rps is known within +-this % (locustfiles)
    levels: tuple[int, ...] = ()  # a sweep: each level held duration_s / len(levels) (shapes.py)
    shapes: str = SHAPES  # the file holding the step ramp (a user's app: asyncgap's own, by path)
    start_jitter_s: float = 0.0  # each user starts after a random part of it (asyncgap/load/desync.py)

    @property
    def longest_s(self) -> float:
        """The longest the swarm may run: its duration, and each level's (a run's) wait for its
        users to start (asyncgap/load/starts.py)."""
        return self.duration_s + START_LIMIT_S * max(1, len(self.levels))

    def scenario_options(self) -> list[str]:
        """The scenario's own options (declared in locustfiles/common.py); a user's app has none."""
        if self.variant == AS_WRITTEN:
            return []
        options = ["--variant", self.variant]
        if self.scenario.work_ms is not None:
            options += ["--work-ms", str(self.scenario.work_ms)]
        if self.scenario.work_n is not None:
            options += ["--work-n", str(self.scenario.work_n)]
        return options

    def _load(self) -> list[str]:
        """How many users, for how long: one level until --run-time, or the step shape's levels
        (which ends the swarm after the last; the harness's overrun limit bounds it still)."""
        if not self.levels:
            return [
                "-f",
                self.scenario.locustfile,
                "--users",
                str(self.users),
                "--spawn-rate",
                str(self.users),
                "--hold-s",  # the users' starts not counted: asyncgap/load/options.py
                f"{self.duration_s:g}",
                "--run-time",
                f"{self.longest_s:g}s",
            ]
        return [
            "-f",
            f"{self.scenario.locustfile},{self.shapes}",
            "--levels",
            ",".join(map(str, self.levels)),
            "--level-s",
            f"{self.duration_s / len(self.levels):g}",
        ]

    def argv(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "locust",
            *self._load(),
            "--headless",
            "--host",
            self.host,
            "--stop-timeout",
            "0",
            "--warmup",
            f"{self.warmup_s:g}",
            "--csv",
            str(self.out_dir / CSV_PREFIX),
            "--csv-full-history",
            "--html",
            str(self.out_dir / HTML_NAME),
            "--json-file",
            str(self.out_dir / JSON_NAME.removesuffix(".json")),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--exit-code-on-error",
            "0",
            *(["--processes", str(self.processes)] if self.processes > 1 else []),
            *(["--converge-pct", f"{self.converge_pct:g}"] if self.converge_pct else []),
            *(["--start-jitter-ms", f"{1000 * self.start_jitter_s:g}"] if self.start_jitter_s else []),
            *self.scenario_options(),
        ]

    def master_argv(self, workers: int, bind_host: str, port: int) -> list[str]:
        """The same swarm as argv(), run by a master that waits for `workers` workers and reports
        for all of them (its CSV, HTML and JSON are the run's)."""
        return [
            *self.argv(),
            "--master",
            "--expect-workers",
            str(workers),
            "--expect-workers-max-wait",
            f"{EXPECT_WORKERS_S:g}",
            "--master-bind-host",
            bind_host,
            "--master-bind-port",
            str(port),
        ]

    def worker_argv(self, master_host: str, port: int) -> list[str]:
        """A worker of master_argv(): the same locustfiles (its user classes); the master sends it
        the host, the users and the scenario's options with each spawn."""
        return [
            sys.executable,
            "-m",
            "locust",
            "-f",
            self._load()[1],
            "--worker",
            "--master-host",
            master_host,
            "--master-port",
            str(port),
            "--loglevel",
            "WARNING",
        ]


def web_ui_argv(
    locustfiles: list[str],
    host: str,
    web_port: int,
    *,
    allow_remote_target: bool = False,
    web_login: bool = False,
) -> list[str]:
    """Locust's web UI on loopback, every scenario (and the step ramp) in its class picker."""
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        ",".join(locustfiles),
        "--class-picker",
        "--host",
        host,
        "--web-host",
        "127.0.0.1",
        "--web-port",
        str(web_port),
        *(["--allow-remote-target"] if allow_remote_target else []),
        *(["--web-login"] if web_login else []),
    ]


def run(
    spec: SwarmSpec,
    *,
    cpus: set[int] | None,
    on_start: Callable[..., Callable[[], object]],
    workers: int = 1,
) -> list[object]:
    """Run Locust to completion; `on_start(*pids)` (every Locust process: the one, or the master
    and its `workers` workers) returns a sampler called every SAMPLE_EVERY_S.

    Returns the samples. Locust is killed (every process group of it) if it overruns.
    """
    log_path = spec.out_dir / "locust.log"
    if workers <= 1:
        process = children.spawn(spec.argv(), log_path=log_path, cpus=cpus)
        return watch(spec, process, log_path, on_start(process.pid))
    port = server.free_port()
    master = children.spawn(spec.master_argv(workers, MASTER_HOST, port), log_path=log_path, cpus=cpus)
    helpers = []
    try:
        for n in range(1, workers + 1):
            argv = spec.worker_argv(MASTER_HOST, port)
            helpers.append(children.spawn(argv, log_path=spec.out_dir / f"locust-worker-{n}.log", cpus=cpus))
        return watch(spec, master, log_path, on_start(master.pid, *(w.pid for w in helpers)))
    finally:
        for helper in helpers:  # they quit with their master; stragglers are stopped
            children.stop_group(helper)
        if master.returncode is None:  # watch() stops it; not reached if a worker failed to start
            children.stop_group(master)


def watch(spec: SwarmSpec, process, log_path: Path, sample: Callable[[], object]) -> list[object]:
    """Wait for Locust (its only or master process) within its run time plus the margin, sampling."""
    try:
        samples = children.watch(
            process, timeout=spec.longest_s + OVERRUN_MARGIN_S, sample=sample, every_s=SAMPLE_EVERY_S
        )
    except children.Overrun:
        raise SwarmError(f"Locust overran its {spec.longest_s:g} s run time; killed") from None
    if process.returncode != 0:
        raise SwarmError(f"Locust exited with {process.returncode}:\n{log_tail(log_path)}")
    return samples


def log_tail(log_path: Path, lines: int = 10) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
