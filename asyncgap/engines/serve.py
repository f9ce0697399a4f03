"""`python -m asyncgap.engines.serve SETUP --app MODULE:ATTR`: serve an ASGI app the way a setup of
the matrix says, and exec the server in this process (so its pid is the server's).

The one place a server's command line is built, for uvicorn and gunicorn alike: the demo
(`python -m service.serve`, which adds its prestart and settings) and a user's own app
(`asyncgap run --app`) start the same way. With --watch the server imports
asyncgap.appside.entry, which imports the app (named in ASYNCGAP_APP) and runs the watchdog
with it; --python serves it with the app's own interpreter, --path adds folders to its import
path (the copy of asyncgap's app-side rooms such an interpreter gets), --app-dir is its folder.
"""

import argparse
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from asyncgap.core.matrix import MatrixError, Setup, load, one_line

GRACEFUL_S = 3  # a blocked loop must not hold a shutdown for long
ENTRY = "asyncgap.appside.entry:app"
APP_ENV = "ASYNCGAP_APP"  # asyncgap.appside.entry.APP_ENV
TOKENS_ENV = "ASYNCGAP_THREAD_TOKENS"  # the demo's settings and asyncgap.appside.entry read it


def server_argv(
    setup: Setup,
    app: str,
    *,
    host: str,
    port: int | None = None,
    python: str = sys.executable,
    gunicorn_config: str | None = None,
) -> list[str]:
    """The server command for one setup: access log off, graceful shutdown bounded."""
    port = port or setup.port
    if setup.server == "gunicorn":
        return [
            python,
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
            *(["--config", gunicorn_config] if gunicorn_config else []),
            *(["--timeout", str(setup.timeout_s)] if setup.timeout_s else []),
            *(["--keep-alive", str(setup.keep_alive_s)] if setup.keep_alive_s else []),
        ]
    return [
        python,
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
        *(["--timeout-keep-alive", str(setup.keep_alive_s)] if setup.keep_alive_s else []),
    ]


def server_env(args: argparse.Namespace, setup: Setup, environ: dict[str, str]) -> dict[str, str]:
    """The server's environment: its import path (the added folders, then the app's folder), the
    app to wrap under --watch, and the thread tokens a setup fixes (its workers apply them)."""
    env = dict(environ)
    if setup.thread_tokens is not None:
        env[TOKENS_ENV] = str(setup.thread_tokens)
    path = [*args.path, str(args.app_dir), *filter(None, [environ.get("PYTHONPATH")])]
    env["PYTHONPATH"] = os.pathsep.join(path)
    if args.watch:
        env[APP_ENV] = args.app
    return env


def _folder(text: str) -> Path:
    return Path(text).absolute()


def parser() -> argparse.ArgumentParser:
    serve = argparse.ArgumentParser(
        prog="python -m asyncgap.engines.serve", description=__doc__.splitlines()[0]
    )
    serve.add_argument("setup", help="a setup of the matrix, or 'upstream'")
    serve.add_argument("--app", required=True, metavar="MODULE:ATTR", help="the ASGI app to serve")
    serve.add_argument("--app-dir", type=_folder, default=Path.cwd(), help="its folder (default: here)")
    serve.add_argument("--watch", action="store_true", help="run the watchdog with the app")
    serve.add_argument("--python", default=sys.executable, help="the interpreter that serves it")
    serve.add_argument("--path", action="append", default=[], help="a folder for its import path")
    serve.add_argument(
        "--matrix", type=Path, help="the matrix (default: $ASYNCGAP_MATRIX, else ./matrix.toml)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback only)")
    serve.add_argument("--port", type=int, help="listen port (default: the setup's)")
    serve.add_argument("--workers", type=int, help="worker processes (default: the setup's count)")
    serve.add_argument("--gunicorn-config", help="gunicorn --config, e.g. python:module")
    serve.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    return serve


def resolve_setup(args: argparse.Namespace, serve: argparse.ArgumentParser) -> Setup:
    """The setup asked for, its worker count overridden if asked; bad input exits 2 in one line."""
    try:
        setup = load(args.matrix).setup(args.setup)
        if args.workers is not None:
            setup = Setup.model_validate({**setup.model_dump(), "workers": args.workers})
    except MatrixError as exc:
        serve.exit(2, f"error: {exc}\n")
    except ValidationError as exc:
        serve.exit(2, f"error: --{one_line(exc)}\n")
    return setup


def main(argv: list[str] | None = None) -> None:
    serve = parser()
    args = serve.parse_args(argv)
    setup = resolve_setup(args, serve)
    command = server_argv(
        setup,
        ENTRY if args.watch else args.app,
        host=args.host,
        port=args.port,
        python=args.python,
        gunicorn_config=args.gunicorn_config,
    )
    if args.dry_run:
        print(" ".join(command))
        return
    env = server_env(args, setup, dict(os.environ))
    os.chdir(args.app_dir)
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main()
