"""Start one setup (or the upstream) in its own process group, wait for its health URL, stop the group."""

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from asyncgap.engines import children

HOST = "127.0.0.1"
READY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Target:
    """What a setup serves, and how its health is told: the demo through `python -m service.serve`
    (GET /healthz answers 200 once its database and client are ready), or a user's app through
    asyncgap's launcher with `options` (any status below 500 at its `--health` path)."""

    launcher: tuple[str, ...] = (sys.executable, "-m", "service.serve")
    options: tuple[str, ...] = ()  # after the setup's name
    health_path: str = "/healthz"
    statuses: range = range(200, 201)  # what counts as healthy (an app's: range(100, 500))
    ready_timeout: float = READY_TIMEOUT_S

    def healthy(self, status: int) -> bool:
        return status in self.statuses


DEMO = Target()


def with_workers(workers: int, target: Target = DEMO) -> Target:
    """The target with its setup's worker count replaced (the launcher's `--workers`)."""
    return replace(target, options=(*target.options, "--workers", str(workers)))


class ServerError(RuntimeError):
    """A server that would not start; the message carries the tail of its log."""


@dataclass
class RunningServer:
    name: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pids(self) -> list[int]:
        """The server's processes: the master and, under several workers, its children."""
        import psutil

        try:
            master = psutil.Process(self.process.pid)
            return [master.pid] + [c.pid for c in master.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        children.stop_group(self.process)


def environment(
    scratch: Path, label: str, *, upstream_url: str | None = None, database_url: str | None = None
) -> dict[str, str]:
    """A server's settings (service/settings.py), the one place they are built: its metrics and
    watch files in a folder of the scratch made fresh for every start (removed with the scratch,
    never mixed with an earlier start's, even of the same cell: bench, --repeat), and the upstream
    and database it is given (None: the service's defaults)."""
    metrics_dir = tempfile.mkdtemp(prefix=f"metrics-{label}-", dir=scratch)
    env = {"PROMETHEUS_MULTIPROC_DIR": metrics_dir, "ASYNCGAP_METRICS_DIR": metrics_dir}
    if upstream_url is not None:
        env["ASYNCGAP_UPSTREAM_URL"] = upstream_url
    if database_url is not None:
        env["ASYNCGAP_DATABASE_URL"] = database_url
    return env


def sqlite_in(scratch: Path) -> str:
    """The URL of a SQLite database in the scratch folder: the servers' own, removed with it."""
    return f"sqlite:///{scratch / 'asyncgap.db'}"


def free_port() -> int:
    """An unused loopback port (for tests and side-by-side runs)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def ensure_port_free(port: int) -> None:
    """Refuse a port something listens on. SO_REUSEADDR as the servers set it: connections
    of a server that just died linger in TIME_WAIT for a minute and must not count."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            raise ServerError(f"port {port} on {HOST} is already in use; stop what holds it") from None


def start(
    name: str,
    *,
    port: int,
    log_path: Path,
    cpus: set[int] | None = None,
    env: Mapping[str, str] | None = None,
    target: Target = DEMO,
) -> RunningServer:
    """Start the target's launcher for setup NAME in a new session; return once it is healthy."""
    ensure_port_free(port)
    argv = [*target.launcher, name, *target.options, "--host", HOST, "--port", str(port)]
    process = children.spawn(argv, log_path=log_path, cpus=cpus, env=env)
    server = RunningServer(name, port, process, log_path)
    try:
        _wait_healthy(server, target, target.ready_timeout)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_ok(
    url: str, process: subprocess.Popen, timeout: float, ok: Callable[[int], bool] = (200).__eq__
) -> bool:
    """Poll `url` until its status is `ok` (True); False on timeout or if the process exits first."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if ok(client.get(url).status_code):
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.02)  # poll interval, not a readiness guess
    return False


def _wait_healthy(server: RunningServer, target: Target, timeout: float) -> None:
    if wait_until_ok(f"{server.url}{target.health_path}", server.process, timeout, target.healthy):
        return
    code = server.process.poll()
    why = (
        f"exited with {code}"
        if code is not None
        else f"not healthy at {target.health_path} after {timeout:.0f} s"
    )
    raise ServerError(f"{server.name} {why}:\n{server.log_tail()}")


@contextmanager
def serving(name: str, **kwargs) -> Iterator[RunningServer]:
    """A started server that is always stopped, whatever happens inside the block."""
    server = start(name, **kwargs)
    try:
        yield server
    finally:
        server.stop()
