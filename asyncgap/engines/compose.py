"""--engine compose: the same cells, with each server, the upstream and Locust (a master and N
workers) as Docker Compose services of docker-compose.yml, one fresh project per run.

Only where things run changes; asyncgap/cell/drive.py drives each cell as with the local engine. What it needs
from outside the containers it still gets there:
- the run's scratch folder (metrics files, SQLite) and results folder are bind-mounted at the
  same paths inside every container, so the workers' metrics files (and anything written beside
  them) are read from outside as they are written, and Locust's reports land in the cell folder;
- CPU time is read by psutil from the containers' processes, which are this host's processes;
- each server publishes its port on 127.0.0.1 (a port Docker picks), for the calibration.

The stack goes down (`down -v`) when the run ends, and, if the harness is killed, by the guard
(asyncgap.engines.compose_guard), which the reaper stops like any other child.
"""

import dataclasses
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from asyncgap.core.matrix import Matrix
from asyncgap.engines import children, docker, server, swarm
from asyncgap.engines.docker import COMMAND_TIMEOUT_S, ComposeError

COMPOSE_FILE = Path("docker-compose.yml")  # the project folder's, where the harness works
IMAGE = "asyncgap:latest"  # docker-compose.yml's image at its default TAG: `docker compose up` reuses it
MASTER, WORKER = "asyncgap-locust-master", "asyncgap-locust-worker"
MASTER_PORT = 5557  # Locust's, on the compose network only
IMAGE_USER = "10001:10001"  # the Dockerfile's non-root user
START_MARGIN_S = 30.0  # a swarm's containers start and its workers join within this
STOP_S = 2  # a container's grace period at `rm -s` and `down`


def prepare(generator_workers: int) -> "ComposeEngine":
    """Check that Docker answers and build the image (cached), before the run writes anything."""
    if reason := docker.why_no_engine():
        raise ComposeError(reason)
    tool = docker.compose_tool()
    if tool is None:
        raise ComposeError(
            "a Docker engine answers but there is no Compose tool (docker compose or docker-compose)"
        )
    env = {**os.environ, "BASE_IMAGE": docker.base_image(), "SETUP": os.environ.get("SETUP", "uvicorn-1w")}
    docker.build([*tool, "-f", str(COMPOSE_FILE), "--project-directory", ".", "build", "upstream"], env)
    return ComposeEngine(tool, env, generator_workers)


@dataclass
class ContainerServer(server.RunningServer):
    """A setup's container: `port` is the one it listens on in its own network namespace,
    `published` the loopback address Docker gave that port on this host."""

    published: str = ""

    @property
    def url(self) -> str:
        return f"http://{self.published}"


class ComposeEngine:
    """One Compose project per run: the upstream for the whole run, a fresh setup per cell."""

    name = "compose"

    def __init__(self, tool: list[str], env: dict[str, str], generator_workers: int) -> None:
        self.tool, self.env, self.generator_workers = tool, env, generator_workers
        self.project = f"asyncgap-run-{uuid.uuid4().hex[:8]}"
        self.user = f"{os.getuid()}:{os.getgid()}" if os.getuid() != 0 else IMAGE_USER
        self.base: dict[str, dict] = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
        self.services: dict[str, dict] = {}
        self.file: Path | None = None
        self.mounts: list[str] = []

    def meta(self) -> dict:
        return {
            "engine": self.name,
            "generator_workers": self.generator_workers,
            "compose_project": self.project,
            "base_image": self.env["BASE_IMAGE"],
            "image": IMAGE,
        }

    # --- the project's file and commands ---------------------------------------------------

    def _write(self) -> None:
        self.file.write_text(yaml.safe_dump({"services": self.services}, sort_keys=False))

    def _argv(self, *args: str) -> list[str]:
        return [*self.tool, "-f", str(self.file), "--project-directory", ".", "-p", self.project, *args]

    def _compose(self, *args: str, log_path: Path) -> None:
        try:
            code = children.run(self._argv(*args), log_path=log_path, timeout=COMMAND_TIMEOUT_S, env=self.env)
        except children.Overrun:
            raise server.ServerError(f"docker compose {args[0]} took over {COMMAND_TIMEOUT_S:g} s") from None
        if code != 0:
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-10:])
            raise server.ServerError(f"docker compose {' '.join(args)} exited with {code}:\n{tail}")

    def _containers(self, service: str) -> list[str]:
        done = subprocess.run(
            self._argv("ps", "-q", service),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            env=self.env,
        )
        return done.stdout.split()

    def _follow(self, container: str, log_path: Path) -> subprocess.Popen:
        """The container's output into `log_path` as it comes (a child like any other)."""
        return children.spawn(["docker", "logs", "-f", container], log_path=log_path)

    @contextmanager
    def _following(self, containers: dict[str, Path]) -> Iterator[None]:
        """Each container's output followed into its log while the block runs (and a little after:
        the followers end with their containers, stopped at the latest on leaving)."""
        followers = [self._follow(c, log_path) for c, log_path in containers.items()]
        try:
            yield
        finally:
            for follower in followers:
                children.stop_group(follower)

    def _service(self, name: str, command: list[str] | None, cpus: set[int] | None, env=None) -> dict:
        """A service of the project: the image, the run's folders at their own paths, pinned."""
        base = dict(self.base.get(name, {}))
        for key in ("build", "depends_on", "volumes", "healthcheck", "scale", "user"):
            base.pop(key, None)
        service = {**base, "image": IMAGE, "init": True, "user": self.user, "volumes": self.mounts}
        if command is not None:
            service["command"] = command
        if env:
            service["environment"] = {**(base.get("environment") or {}), **env}
        if cpus:
            service["cpuset"] = ",".join(map(str, sorted(cpus)))
        if "ports" in base:  # published on loopback, on a port Docker picks: no clash with anything
            service["ports"] = [re.sub(r"^127\.0\.0\.1:\d+:", "127.0.0.1::", p) for p in base["ports"]]
        return service

    def _grant(self, folder: Path) -> None:
        """The containers' user may write `folder` (the harness runs as root: they do not)."""
        if os.getuid() == 0:
            uid, gid = map(int, IMAGE_USER.split(":"))
            os.chown(folder, uid, gid)

    # --- the engine ------------------------------------------------------------------------

    @contextmanager
    def upstream(self, matrix: Matrix, out_dir: Path, scratch: Path, cpus: set[int] | None) -> Iterator[str]:
        self.file = scratch / "docker-compose.yml"
        self.mounts = [f"{scratch}:{scratch}", f"{out_dir.resolve()}:{out_dir.resolve()}"]
        self._grant(scratch)
        self.services = {"upstream": self._service("upstream", None, cpus)}
        self._write()
        disarmed = scratch / "guard-disarmed"
        down = self._argv("down", "-v", "--remove-orphans", "-t", str(STOP_S))
        guard = children.spawn(
            [sys.executable, "-m", "asyncgap.engines.compose_guard", str(disarmed), "--", *down],
            log_path=scratch / "guard.log",
            env=self.env,
        )
        try:
            self._compose(
                "up", "-d", "--no-deps", "--no-build", "upstream", log_path=out_dir / "compose-up.log"
            )
            container = self._containers("upstream")[0]
            log = out_dir / "upstream.log"
            with self._following({container: log}):
                published = self._published("upstream", matrix.upstream.port)
                docker.wait_healthy(f"http://{published}/healthz", docker.ContainerProcess(container, 0), log)
                yield f"http://upstream:{matrix.upstream.port}"
        finally:
            self._down(down, out_dir / "compose-down.log", disarmed)
            children.stop_group(guard)

    def _down(self, down: list[str], log_path: Path, disarmed: Path) -> None:
        """The whole project down with its volumes; then the guard has nothing left to do."""
        try:
            code = children.run(down, log_path=log_path, timeout=COMMAND_TIMEOUT_S, env=self.env)
        except children.Overrun:
            return  # the guard tries again
        if code == 0:
            disarmed.touch()

    def _published(self, service: str, port: int) -> str:
        done = subprocess.run(
            self._argv("port", service, str(port)),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            env=self.env,
        )
        address = done.stdout.strip()
        if done.returncode != 0 or not address:
            raise server.ServerError(f"{service} publishes no port {port}: {done.stderr.strip()[-200:]}")
        return address

    @contextmanager
    def serving(
        self, setup: str, *, port: int, log_path: Path, cpus: set[int] | None, env: dict[str, str]
    ) -> Iterator[ContainerServer]:
        """The setup's service, recreated fresh for the cell, with the cell's settings."""
        self._grant(Path(env["PROMETHEUS_MULTIPROC_DIR"]))
        self.services[setup] = self._service(setup, None, cpus, env=env)
        self._write()
        try:
            self._recreate(setup, log_path=log_path.with_name("compose-up.log"))
            container = self._containers(setup)[0]
            process = docker.ContainerProcess(container, docker.host_pid(container))
            published = self._published(setup, port)
            with self._following({container: log_path}):
                docker.wait_healthy(f"http://{published}/healthz", process, log_path)
                yield ContainerServer(setup, port, process, log_path, published=published)
        finally:
            self._compose("rm", "-f", "-s", "-v", setup, log_path=log_path.with_name("compose-rm.log"))

    def _recreate(self, *args: str, log_path: Path) -> None:
        """Start services afresh from the image already built, without their dependencies."""
        self._compose("up", "-d", "--no-deps", "--no-build", "--force-recreate", *args, log_path=log_path)

    def load_host(self, running: server.RunningServer) -> str:
        return f"http://{running.name}:{running.port}"

    def _watch_master(
        self, spec: swarm.SwarmSpec, on_start: Callable[..., Callable[[], object]]
    ) -> list[object]:
        """Follow the swarm's containers' logs and sample until the master exits; its status must be 0."""
        master, *helpers = self._containers(MASTER) + self._containers(WORKER)
        pids = [docker.host_pid(c) for c in [master, *helpers]]
        log = spec.out_dir / "locust.log"
        logs = {master: log} | {c: spec.out_dir / f"locust-worker-{n}.log" for n, c in enumerate(helpers, 1)}
        exit_file = spec.out_dir / "locust-exit.txt"
        with self._following(logs):
            waiter = children.spawn(["docker", "wait", master], log_path=exit_file)
            sample = on_start(*pids)
            try:
                samples = children.watch(
                    waiter,
                    timeout=spec.longest_s + swarm.OVERRUN_MARGIN_S + START_MARGIN_S,
                    sample=sample,
                    every_s=swarm.SAMPLE_EVERY_S,
                )
            except children.Overrun:
                raise swarm.SwarmError(
                    f"Locust overran its {spec.duration_s:g} s run time; stopped"
                ) from None
        code = exit_file.read_text().strip()
        if code != "0":
            raise swarm.SwarmError(
                f"Locust's master exited with {code or 'no status'}:\n{swarm.log_tail(log)}"
            )
        return samples

    def swarm(
        self, spec: swarm.SwarmSpec, *, cpus: set[int] | None, on_start: Callable[..., Callable[[], object]]
    ) -> list[object]:
        """A Locust master and N workers as services, headless; the master's reports in the cell's folder."""
        spec = dataclasses.replace(spec, out_dir=spec.out_dir.resolve())  # the path mounted in the containers
        self._grant(spec.out_dir)
        workers = self.generator_workers
        master_argv = ["python", *spec.master_argv(workers, "0.0.0.0", MASTER_PORT)[1:]]
        worker_argv = ["python", *spec.worker_argv(MASTER, MASTER_PORT)[1:]]
        self.services[MASTER] = self._service(MASTER, master_argv, cpus)
        self.services[WORKER] = self._service(WORKER, worker_argv, cpus)
        self._write()
        try:
            self._recreate(
                "--scale",
                f"{WORKER}={workers}",
                MASTER,
                WORKER,
                log_path=spec.out_dir / "compose-up-locust.log",
            )
            return self._watch_master(spec, on_start)
        finally:
            self._compose(
                "rm", "-f", "-s", "-v", MASTER, WORKER, log_path=spec.out_dir / "compose-rm-locust.log"
            )
