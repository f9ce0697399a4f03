"""--engine compose: the same cells, with each server, the upstream and Locust (a master and N
workers) as Docker Compose services of docker-compose.yml, one fresh project per run.

Only where things run changes; run.py drives each cell as with the local engine. What it needs
from outside the containers it still gets there:
- the run's scratch folder (metrics files, SQLite) and results folder are bind-mounted at the
  same paths inside every container, so the workers' metrics files (and anything written beside
  them) are read from outside as they are written, and Locust's reports land in the cell folder;
- CPU time is read by psutil from the containers' processes, which are this host's processes;
- each server publishes its port on 127.0.0.1 (a port Docker picks), for the calibration.

The stack goes down (`down -v`) when the run ends, and, if the harness is killed, by the guard
(loadtest.compose_guard), which the reaper stops like any other child.
"""

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from core.matrix import ROOT, Matrix
from loadtest import children, server, swarm

COMPOSE_FILE = ROOT / "docker-compose.yml"
IMAGE = "asyncgap:latest"  # docker-compose.yml's image at its default TAG: `docker compose up` reuses it
FALLBACK_BASE = "asyncgap-base:bookworm"  # scripts/build-base-image.sh's, for machines with no registry
MASTER, WORKER = "asyncgap-locust-master", "asyncgap-locust-worker"
MASTER_PORT = 5557  # Locust's, on the compose network only
IMAGE_USER = "10001:10001"  # the Dockerfile's non-root user
ENGINE_TIMEOUT_S = 30.0
BUILD_TIMEOUT_S = 1200.0
COMMAND_TIMEOUT_S = 120.0
START_MARGIN_S = 30.0  # a swarm's containers start and its workers join within this
STOP_S = 2  # a container's grace period at `rm -s` and `down`


class ComposeError(RuntimeError):
    """The compose engine cannot run here; one line for the user."""


def why_no_engine() -> str | None:
    """None when a Docker engine answers; otherwise why not, in one line."""
    if shutil.which("docker") is None:
        return "no Docker engine: the docker command is not installed"
    try:
        argv = ["docker", "version", "--format", "{{.Server.Version}}"]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=ENGINE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"no Docker engine: it did not answer within {ENGINE_TIMEOUT_S:g} s"
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["docker version failed"]
        return f"no Docker engine: {lines[-1]}"
    return None


def compose_tool() -> list[str] | None:
    """`docker compose` (v2) when the docker command has it, else the docker-compose tool."""
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def _image_exists(name: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", name], capture_output=True).returncode == 0


def base_image() -> str:
    """$BASE_IMAGE, else the Dockerfile's default if this machine has it, else the one built
    from Debian's packages by scripts/build-base-image.sh."""
    if os.environ.get("BASE_IMAGE"):
        return os.environ["BASE_IMAGE"]
    default = re.search(r"^ARG BASE_IMAGE=(\S+)$", (ROOT / "Dockerfile").read_text(), re.M)[1]
    for name in (default, FALLBACK_BASE):
        if _image_exists(name):
            return name
    raise ComposeError(
        f"no base image: neither {default} nor {FALLBACK_BASE} is here; pull the first or build the "
        "second with scripts/build-base-image.sh (or set BASE_IMAGE)"
    )


def failed_step(log: str) -> str:
    """The build step that failed, from docker's output (BuildKit's or the classic builder's)."""
    if found := re.findall(r"^(?:#\d+ )?ERROR \[([^\]]+)\] (.*)$", log, re.M):
        stage, step = found[-1]
        return f"[{stage}] {step}"[:120]
    steps = re.findall(r"^Step \d+/\d+ : (.*)$", log, re.M)
    return steps[-1][:120] if steps else "before its first step"


def prepare(generator_workers: int) -> "ComposeEngine":
    """Check that Docker answers and build the image (cached), before the run writes anything."""
    if reason := why_no_engine():
        raise ComposeError(reason)
    tool = compose_tool()
    if tool is None:
        raise ComposeError(
            "a Docker engine answers but there is no Compose tool (docker compose or docker-compose)"
        )
    env = {**os.environ, "BASE_IMAGE": base_image(), "SETUP": os.environ.get("SETUP", "uvicorn-1w")}
    log = Path(tempfile.mkstemp(prefix="asyncgap-build-", suffix=".log")[1])
    argv = [*tool, "-f", str(COMPOSE_FILE), "--project-directory", str(ROOT), "build", "upstream"]
    try:
        code = children.run(argv, log_path=log, timeout=BUILD_TIMEOUT_S, env=env)
    except children.Overrun:
        raise ComposeError(f"the image build took over {BUILD_TIMEOUT_S:g} s (log: {log})") from None
    if code != 0:
        step = failed_step(log.read_text(errors="replace"))
        raise ComposeError(f"the image build failed at step: {step} (log: {log})")
    log.unlink()
    return ComposeEngine(tool, env, generator_workers)


class ContainerProcess:
    """What run.py reads of a server's process, for a container: its host pid and whether it ended."""

    def __init__(self, container: str, pid: int) -> None:
        self.container, self.pid = container, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        state = _docker("inspect", "-f", "{{.State.Running}} {{.State.ExitCode}}", self.container)
        running, code = state.split()
        if running != "true":
            self.returncode = int(code)
        return self.returncode


@dataclass
class ContainerServer(server.RunningServer):
    """A setup's container: `port` is the one it listens on in its own network namespace,
    `published` the loopback address Docker gave that port on this host."""

    published: str = ""

    @property
    def url(self) -> str:
        return f"http://{self.published}"


def _docker(*args: str) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
    if done.returncode != 0:
        raise ComposeError(f"docker {args[0]} failed: {done.stderr.strip()[-300:]}")
    return done.stdout.strip()


def _host_pid(container: str) -> int:
    """The container's main process as this host sees it: what the CPU meters read."""
    return int(_docker("inspect", "-f", "{{.State.Pid}}", container))


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
        return [*self.tool, "-f", str(self.file), "--project-directory", str(ROOT), "-p", self.project, *args]

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
            [sys.executable, "-m", "loadtest.compose_guard", str(disarmed), "--", *down],
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
                self._wait_healthy(f"http://{published}/healthz", ContainerProcess(container, 0), log)
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

    def _wait_healthy(self, url: str, process: ContainerProcess, log_path: Path) -> None:
        """Poll the URL the health check uses until it answers 200; fail if the container ends."""
        deadline = time.monotonic() + server.READY_TIMEOUT_S
        checked = 0.0
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() < deadline:
                try:
                    if client.get(url).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() - checked >= 1.0:
                    checked = time.monotonic()
                    if process.poll() is not None:
                        raise server.ServerError(
                            f"the container exited with {process.returncode}:\n{swarm.log_tail(log_path, 15)}"
                        )
                time.sleep(0.05)
        raise server.ServerError(
            f"not healthy after {server.READY_TIMEOUT_S:g} s:\n{swarm.log_tail(log_path, 15)}"
        )

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
            process = ContainerProcess(container, _host_pid(container))
            published = self._published(setup, port)
            with self._following({container: log_path}):
                self._wait_healthy(f"http://{published}/healthz", process, log_path)
                yield ContainerServer(setup, port, process, log_path, published=published)
        finally:
            self._compose("rm", "-f", "-s", "-v", setup, log_path=log_path.with_name("compose-rm.log"))

    def _recreate(self, *args: str, log_path: Path) -> None:
        """Start services afresh from the image already built, without their dependencies."""
        self._compose("up", "-d", "--no-deps", "--no-build", "--force-recreate", *args, log_path=log_path)

    def load_host(self, running: server.RunningServer) -> str:
        return f"http://{running.name}:{running.port}"

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
        log = spec.out_dir / "locust.log"
        try:
            self._recreate("--scale", f"{WORKER}={workers}", MASTER, WORKER,
                           log_path=spec.out_dir / "compose-up-locust.log")  # fmt: skip
            master = self._containers(MASTER)[0]
            helpers = self._containers(WORKER)
            pids = [_host_pid(c) for c in [master, *helpers]]
            logs = {master: log} | {
                c: spec.out_dir / f"locust-worker-{n}.log" for n, c in enumerate(helpers, 1)
            }
            exit_file = spec.out_dir / "locust-exit.txt"
            with self._following(logs):
                waiter = children.spawn(["docker", "wait", master], log_path=exit_file)
                sample = on_start(*pids)
                try:
                    samples = children.watch(
                        waiter,
                        timeout=spec.duration_s + swarm.OVERRUN_MARGIN_S + START_MARGIN_S,
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
        finally:
            self._compose(
                "rm", "-f", "-s", "-v", MASTER, WORKER, log_path=spec.out_dir / "compose-rm-locust.log"
            )
