"""`python -m service.serve SETUP`: serve the demo (or its fake upstream) as a setup of the matrix.

The harness, `make ui` and docker-compose.yml all start the demo through this command; it adds
the demo's own needs (its settings checked, its schema created once before any worker, its
metrics folder) and execs asyncgap's launcher (`python -m asyncgap.engines.serve`), the one
place a server's command line is built, for the demo and a user's app alike.
"""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from asyncgap.core.matrix import MatrixError, load

APPS = {"upstream": "service.upstream:app"}
DEFAULT_APP = "service.app:app"
ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = "python:service.gunicorn_conf"
METRICS_PREFIX = "asyncgap-metrics-"


def launcher_argv(args: argparse.Namespace) -> list[str]:
    """asyncgap's launcher, serving the demo app (or the upstream) from the repository."""
    return [
        sys.executable,
        "-m",
        "asyncgap.engines.serve",
        args.setup,
        "--app",
        APPS.get(args.setup, DEFAULT_APP),
        "--app-dir",
        str(ROOT),
        "--host",
        args.host,
        "--gunicorn-config",
        GUNICORN_CONFIG,
        *(["--port", str(args.port)] if args.port is not None else []),
        *(["--workers", str(args.workers)] if args.workers is not None else []),
        *(["--dry-run"] if args.dry_run else []),
    ]


def metrics_dir() -> str:
    """A fresh Prometheus multiprocess folder when none is given (a server started by hand or
    by docker-compose; the harness passes one from its scratch folder and removes it).

    Named by this process's pid, which exec keeps for the server: each start removes the
    folders of servers that have exited, so they cannot pile up, and empties a stale one
    left under its own pid (a container restarted with the same pid).
    """
    for old in Path(tempfile.gettempdir()).glob(f"{METRICS_PREFIX}*"):
        pid = old.name.removeprefix(METRICS_PREFIX)
        if pid.isdigit() and (int(pid) == os.getpid() or not _running(int(pid))):
            shutil.rmtree(old, ignore_errors=True)
    path = Path(tempfile.gettempdir()) / f"{METRICS_PREFIX}{os.getpid()}"
    path.mkdir(mode=0o700)
    return str(path)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # running, as another user
    return True


def demo_env(name: str) -> dict[str, str]:
    """Environment for the demo service: a Prometheus multiprocess folder for its workers, its
    schema left to the prestart step below and its startup heap frozen, over what it inherits."""
    env = dict(os.environ)
    if name not in APPS:
        # The harness passes its own folder so it can read the workers' metrics from outside.
        if "PROMETHEUS_MULTIPROC_DIR" not in env:
            env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir()
        env["ASYNCGAP_CREATE_SCHEMA"] = "false"  # created once below, before workers start
        env.setdefault("ASYNCGAP_FREEZE_HEAP", "true")  # no full collection walks the startup heap
    return env


def _check(parser: argparse.ArgumentParser, name: str) -> None:
    """Refuse an unknown setup or a bad ASYNCGAP_* value with one line, before anything is made."""
    try:
        load().setup(name)
    except MatrixError as exc:
        parser.exit(2, f"error: {exc}\n")
    try:
        from service.settings import from_environment  # its import reads the environment already

        from_environment()
    except SystemExit as exc:
        parser.exit(2, f"{exc}\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m service.serve", description=__doc__.splitlines()[0])
    parser.add_argument("setup", help="a setup of the matrix, or 'upstream'")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    parser.add_argument("--port", type=int, help="listen port (default: the setup's port)")
    parser.add_argument("--workers", type=int, help="worker processes (default: the setup's count)")
    parser.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    args = parser.parse_args(argv)
    _check(parser, args.setup)
    command = launcher_argv(args)
    env = dict(os.environ) if args.dry_run else demo_env(args.setup)
    if not args.dry_run and args.setup not in APPS:
        from service.prestart import prepare

        prepare()
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main()
