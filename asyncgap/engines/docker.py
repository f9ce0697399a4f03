"""Docker itself, for the compose engine: whether an engine answers, the Compose tool, the base
image and the image build, and a container seen from this host as a process."""

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from asyncgap.engines import children, server, swarm

FALLBACK_BASE = "asyncgap-base:bookworm"  # scripts/build-base-image.sh's, for machines with no registry
ENGINE_TIMEOUT_S = 30.0
BUILD_TIMEOUT_S = 1200.0
COMMAND_TIMEOUT_S = 120.0


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
    default = re.search(r"^ARG BASE_IMAGE=(\S+)$", Path("Dockerfile").read_text(), re.M)[1]
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


def build(argv: list[str], env: dict[str, str]) -> None:
    """Run a build command (cached by Docker); a failure is one line naming the step, its log kept."""
    log = Path(tempfile.mkstemp(prefix="asyncgap-build-", suffix=".log")[1])
    try:
        code = children.run(argv, log_path=log, timeout=BUILD_TIMEOUT_S, env=env)
    except children.Overrun:
        raise ComposeError(f"the image build took over {BUILD_TIMEOUT_S:g} s (log: {log})") from None
    if code != 0:
        step = failed_step(log.read_text(errors="replace"))
        raise ComposeError(f"the image build failed at step: {step} (log: {log})")
    log.unlink()


def docker(*args: str) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
    if done.returncode != 0:
        raise ComposeError(f"docker {args[0]} failed: {done.stderr.strip()[-300:]}")
    return done.stdout.strip()


def host_pid(container: str) -> int:
    """The container's main process as this host sees it: what the CPU meters read."""
    return int(docker("inspect", "-f", "{{.State.Pid}}", container))


class ContainerProcess:
    """What a cell reads of a server's process (asyncgap/cell/drive.py), for a container: its host pid
    and whether it ended."""

    def __init__(self, container: str, pid: int) -> None:
        self.container, self.pid = container, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        state = docker("inspect", "-f", "{{.State.Running}} {{.State.ExitCode}}", self.container)
        running, code = state.split()
        if running != "true":
            self.returncode = int(code)
        return self.returncode


def wait_healthy(url: str, process: ContainerProcess, log_path: Path) -> None:
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
