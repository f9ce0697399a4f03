"""`python -m service.serve SETUP`: build a setup's server argv from matrix.toml and exec it.

The harness, `make ui` and docker-compose.yml all start servers through this one
command, so a setup is defined in exactly one place.
"""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from pydantic import ValidationError

from core.matrix import MatrixError, Setup, load, one_line

APPS = {"upstream": "service.upstream:app"}
DEFAULT_APP = "service.app:app"
GRACEFUL_S = 3  # a blocked loop must not hold a shutdown for long
METRICS_PREFIX = "asyncgap-metrics-"


def server_argv(name: str, setup: Setup, host: str, port: int | None = None) -> list[str]:
    """The server command for one setup: access log off, graceful shutdown bounded."""
    app = APPS.get(name, DEFAULT_APP)
    port = port or setup.port
    if setup.server == "gunicorn":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "--worker-class",
            "uvicorn_worker.UvicornWorker",
            "--workers",
            str(setup.workers),
            "--bind",
            f"{host}:{port}",
            "--graceful-timeout",
            str(GRACEFUL_S),
            "--config",
            "python:service.gunicorn_conf",
            *(["--timeout", str(setup.timeout_s)] if setup.timeout_s else []),
        ]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(setup.workers),
        "--no-access-log",
        "--timeout-graceful-shutdown",
        str(GRACEFUL_S),
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


def server_env(name: str, setup: Setup) -> dict[str, str]:
    """Environment for the server: a Prometheus multiprocess folder for its workers, and the
    settings its setup fixes (its thread tokens), over those it inherits."""
    env = dict(os.environ)
    if setup.thread_tokens is not None:
        env["ASYNCGAP_THREAD_TOKENS"] = str(setup.thread_tokens)
    if name not in APPS:
        # The harness passes its own folder so it can read the workers' metrics from outside.
        if "PROMETHEUS_MULTIPROC_DIR" not in env:
            env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir()
        env["ASYNCGAP_CREATE_SCHEMA"] = "false"  # created once below, before workers start
    return env


def _check_settings(parser: argparse.ArgumentParser) -> None:
    """Refuse to start on a bad ASYNCGAP_* value with one line, before any worker tries."""
    try:
        from service.settings import from_environment  # its import reads the environment already

        from_environment()
    except SystemExit as exc:
        parser.exit(2, f"{exc}\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m service.serve", description=__doc__.splitlines()[0])
    parser.add_argument("setup", help="a setup from matrix.toml, or 'upstream'")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    parser.add_argument("--port", type=int, help="listen port (default: the setup's port in matrix.toml)")
    parser.add_argument("--workers", type=int, help="worker processes (default: the setup's count)")
    parser.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    args = parser.parse_args(argv)
    try:
        setup = load().setup(args.setup)
        if args.workers is not None:
            setup = Setup.model_validate({**setup.model_dump(), "workers": args.workers})
    except MatrixError as exc:
        parser.exit(2, f"error: {exc}\n")
    except ValidationError as exc:
        parser.exit(2, f"error: --{one_line(exc)}\n")
    command = server_argv(args.setup, setup, args.host, args.port)
    _check_settings(parser)
    if args.dry_run:
        print(" ".join(command))
        return
    env = server_env(args.setup, setup)
    if args.setup not in APPS:
        from service.prestart import prepare

        prepare()
    os.chdir(Path(__file__).resolve().parent.parent)
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main()
