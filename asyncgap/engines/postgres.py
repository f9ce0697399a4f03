"""A throwaway PostgreSQL cluster: initdb in a scratch folder, postgres on a loopback port with
its socket beside its data, stopped and removed at the end.

Started through asyncgap.engines.children, so the reaper kills its process group (the postmaster and
its backends) and removes its folder even if the harness is SIGKILLed. initdb and postgres
refuse to run as root, so as root both run as `nobody` (every Debian system and container has
it) through util-linux's setpriv; the data folder is then nobody's, and its parents only
traversable. Debian's `postgresql` package puts the binaries in /usr/lib/postgresql/VERSION/bin,
outside PATH: the newest found there is used, else initdb and postgres from PATH.
"""

import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from asyncgap.engines import children
from asyncgap.engines.reaper import signal_group
from asyncgap.engines.server import HOST, ServerError, ensure_port_free, free_port

DEBIAN_BIN = Path("/usr/lib/postgresql")
BIN_ENV = "ASYNCGAP_POSTGRES_BIN"  # another folder of PostgreSQL binaries
UNPRIVILEGED = "nobody"
ROLE = "asyncgap"
DATABASE = "postgres"
INITDB_TIMEOUT_S = 60.0
READY_TIMEOUT_S = 30.0
FAST_STOP_S = 5.0
# Two workers x (a sync pool of 40 + an async pool of 100), a verifier and tests: room for all.
MAX_CONNECTIONS = 400
SOCKET_PATH_MAX = 107  # sun_path holds 108 bytes, its terminating NUL included


class PostgresError(RuntimeError):
    """A cluster that could not be made or started; the message is one line naming the cause."""


def _version(postgres: Path) -> int:
    """15 for /usr/lib/postgresql/15/bin/postgres (a name that is no number sorts first)."""
    name = postgres.parent.parent.name
    return int(name) if name.isdigit() else 0


def binaries() -> Path:
    """The folder holding initdb and postgres: ASYNCGAP_POSTGRES_BIN if set, else Debian's newest
    version, else PATH's."""
    if chosen := os.environ.get(BIN_ENV):
        if not all((Path(chosen) / name).is_file() for name in ("initdb", "postgres")):
            raise PostgresError(f"{BIN_ENV}={chosen} holds no initdb and postgres")
        return Path(chosen)
    versions = sorted(DEBIAN_BIN.glob("*/bin/postgres"), key=_version)
    if versions:
        return versions[-1].parent
    found = shutil.which("postgres")
    if found and shutil.which("initdb"):
        return Path(found).parent
    raise PostgresError(
        "PostgreSQL is not installed: no postgres under /usr/lib/postgresql/*/bin or on PATH "
        "(make loadtest / make test install Debian's postgresql package)"
    )


def _as_owner(argv: list[str]) -> list[str]:
    """As root, the command as `nobody` (initdb and postgres refuse root); else unchanged."""
    if os.geteuid() != 0:
        return argv
    user = pwd.getpwnam(UNPRIVILEGED)
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", *argv]


def _own(folder: Path) -> None:
    """As root, hand the folder to `nobody` and let it traverse the folders above (not list them)."""
    if os.geteuid() != 0:
        return
    user = pwd.getpwnam(UNPRIVILEGED)
    os.chown(folder, user.pw_uid, user.pw_gid)
    for parent in folder.parents:
        if parent == Path(parent.anchor):
            break
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


def _first_error(log: Path, fallback: str) -> str:
    """The log line that names the cause (postgres writes FATAL/ERROR lines), else the fallback."""
    with suppress(OSError):
        for line in log.read_text(errors="replace").splitlines():
            if any(word in line for word in ("FATAL", "ERROR", "error:", "could not")):
                return line.strip()
    return fallback


@dataclass
class Cluster:
    """One data folder and, while it runs, its postmaster (a process group of its own)."""

    folder: Path
    port: int
    cpus: set[int] | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log_path(self) -> Path:
        return self.folder / "postgres.log"

    @property
    def dsn(self) -> str:
        """What the service's ASYNCGAP_DATABASE_URL is set to: TCP on loopback, as a networked database."""
        return f"postgresql://{ROLE}@{HOST}:{self.port}/{DATABASE}"

    @property
    def socket_dir(self) -> str:
        """The folder itself, unless the socket's path would pass the kernel's 107 bytes (a deep
        TMPDIR): then none, and TCP on loopback only (which is all the service uses)."""
        socket = self.folder / f".s.PGSQL.{self.port}"
        return str(self.folder) if len(os.fsencode(socket)) <= SOCKET_PATH_MAX else ""

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def init(self) -> None:
        """initdb: trust authentication for the one role (loopback and the folder's socket only)."""
        initdb = binaries() / "initdb"
        self.folder.mkdir(parents=True, exist_ok=True)
        _own(self.folder)
        argv = [
            str(initdb),
            "-D",
            str(self.data),
            "-U",
            ROLE,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
            "--no-instructions",
        ]
        log = self.folder / "initdb.log"
        try:
            code = children.run(_as_owner(argv), log_path=log, timeout=INITDB_TIMEOUT_S)
        except children.Overrun:
            raise PostgresError(f"initdb took over {INITDB_TIMEOUT_S:g} s") from None
        if code != 0:
            raise PostgresError(f"initdb failed ({code}): {_first_error(log, 'see ' + str(log))}")

    def start(self) -> None:
        """Start postgres; return once it accepts connections, else PostgresError and nothing left running."""
        try:
            ensure_port_free(self.port)  # said plainly, before postgres says it in its log
        except ServerError as exc:
            raise PostgresError(str(exc)) from None
        argv = [
            str(binaries() / "postgres"),
            "-D",
            str(self.data),
            "-h",
            HOST,
            "-p",
            str(self.port),
            "-k",
            self.socket_dir,
            "-c",
            f"max_connections={MAX_CONNECTIONS}",
        ]
        self.process = children.spawn(_as_owner(argv), log_path=self.log_path, cpus=self.cpus)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                psycopg.connect(self.dsn, connect_timeout=1).close()
                return
            except psycopg.OperationalError:
                time.sleep(0.05)  # poll interval, not a readiness guess
        code = self.process.poll()
        self._stop_group()
        why = f"exited with {code}" if code is not None else f"not ready after {READY_TIMEOUT_S:g} s"
        raise PostgresError(f"postgres {why}: {_first_error(self.log_path, 'see ' + str(self.log_path))}")

    def stop(self) -> None:
        """A fast shutdown (SIGINT to the postmaster: backends end, a checkpoint), then its group."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGINT)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(FAST_STOP_S)
        self._stop_group()

    def crash(self) -> None:
        """SIGKILL the postmaster and every backend at once: a crash, as the kill test's fault.
        Started again, postgres replays its write-ahead log."""
        assert self.process is not None, "not started"
        signal_group(self.process.pid, signal.SIGKILL)
        self._stop_group()

    def _stop_group(self) -> None:
        if self.process is not None:
            children.stop_group(self.process)


@contextmanager
def running(folder: Path, *, port: int | None = None, cpus: set[int] | None = None) -> Iterator[Cluster]:
    """A fresh cluster in `folder` (inside a lifeline scratch folder), stopped and removed on leaving."""
    cluster = Cluster(folder, port or free_port(), cpus)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def for_run(scenarios, scratch: Path, cpus: set[int] | None) -> Iterator[Cluster | None]:
    """The run's cluster when one of its scenarios uses PostgreSQL (else None), in its scratch
    folder and on the server's CPUs: the database is part of the system under test, and the
    load generator's core must stay its own (its headroom is measured)."""
    if not any(s.database == "postgres" for s in scenarios):
        yield None
        return
    with running(scratch / "postgres", cpus=cpus) as cluster:
        yield cluster
