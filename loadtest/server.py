"""Start one setup (or the upstream) in its own process group, wait for /healthz, stop the group."""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from loadtest import children

HOST = "127.0.0.1"
READY_TIMEOUT_S = 30.0


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
    workers: int | None = None,
    cpus: set[int] | None = None,
    env: Mapping[str, str] | None = None,
    ready_timeout: float = READY_TIMEOUT_S,
) -> RunningServer:
    """Start `python -m service.serve NAME` in a new session; return once /healthz answers 200."""
    ensure_port_free(port)
    argv = [sys.executable, "-m", "service.serve", name, "--host", HOST, "--port", str(port)]
    if workers is not None:
        argv += ["--workers", str(workers)]
    process = children.spawn(argv, log_path=log_path, cpus=cpus, env=env)
    server = RunningServer(name, port, process, log_path)
    try:
        _wait_healthy(server, ready_timeout)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_ok(url: str, process: subprocess.Popen, timeout: float) -> bool:
    """Poll `url` until it answers 200 (True); False on timeout or if the process exits first."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if client.get(url).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.02)  # poll interval, not a readiness guess
    return False


def _wait_healthy(server: RunningServer, timeout: float) -> None:
    if wait_until_ok(f"{server.url}/healthz", server.process, timeout):
        return
    code = server.process.poll()
    why = f"exited with {code}" if code is not None else f"not healthy after {timeout:.0f} s"
    raise ServerError(f"{server.name} {why}:\n{server.log_tail()}")


@contextmanager
def serving(name: str, **kwargs) -> Iterator[RunningServer]:
    """A started server that is always stopped, whatever happens inside the block."""
    server = start(name, **kwargs)
    try:
        yield server
    finally:
        server.stop()
