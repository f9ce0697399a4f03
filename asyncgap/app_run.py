"""`asyncgap run --app MODULE:ATTR`: the user's own app down the same cell path as the demo.

Everything that can refuse is done first, in a scratch folder, before any result is written:
the env files are read, the app is imported and its routes walked with its own interpreter,
the prestart runs, the app is started once and must answer its health URL, the traffic is
chosen (and probed, when generated) and its locustfile loaded. Any of these failing is one line
and exit 2. Then the run folder is made, with the app's records in `app/`, and the cells run.
"""

import argparse
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from asyncgap import gating
from asyncgap.cell import plan, traffic
from asyncgap.cell.app_cell import AppRun
from asyncgap.cell.plan import Cell
from asyncgap.core import appenv, matrix, ownapp
from asyncgap.core.matrix import Matrix, Scenario
from asyncgap.core.thresholds import Threshold
from asyncgap.engines import lifeline, postgres, server
from asyncgap.engines.app_process import AppError, AppProcess, inject, tail
from asyncgap.engines.postgres import Cluster

APP_FOLDER = "app"  # the run folder's records of the app: routes, logs, the locustfile run
LAUNCHER = (sys.executable, "-m", "asyncgap.engines.serve")
HEALTH_TIMEOUT_S = 60.0
UVICORN_SINCE = (0, 22)  # the first uvicorn with --timeout-graceful-shutdown (asyncgap/engines/serve.py)
BAD_INPUT = (AppError, appenv.EnvError, traffic.TrafficError, plan.PlanError, matrix.MatrixError)
ENV_HELP = (
    "a file of KEY=VALUE lines for every server process, the prestart and the route walk, read "
    "as Docker Compose reads one (python-dotenv: '#' comments, single or double quotes, "
    "${VAR} and ${VAR:-default} from earlier lines, then the environment and --postgres's "
    "PG* variables); repeatable, later files win; values are never recorded, only names"
)


def add_options(go: argparse.ArgumentParser) -> None:
    """`run`'s options for a user's own app."""
    own = go.add_argument_group("your own app (--app)")
    own.add_argument("--app", metavar="MODULE:ATTR", help="run your ASGI app instead of the demo")
    own.add_argument(
        "--app-dir", type=_folder, default=Path.cwd(), metavar="DIR", help="its folder (default: here)"
    )
    own.add_argument(
        "--python", metavar="PATH", help="the app's interpreter, e.g. .venv/bin/python (default: asyncgap's)"
    )
    own.add_argument(
        "--locustfile", type=_folder, metavar="FILE", help="your traffic (default: its OpenAPI GETs)"
    )
    own.add_argument("--env-file", type=_folder, action="append", default=[], metavar="FILE", help=ENV_HELP)
    own.add_argument(
        "--env", action="append", default=[], metavar="KEY=VAL", help="one more variable, over the files"
    )
    own.add_argument("--prestart", metavar="CMD", help="a shell command run once first, e.g. migrations")
    own.add_argument(
        "--postgres", action="store_true", help="a throwaway PostgreSQL: PGHOST ... DATABASE_URL"
    )
    own.add_argument("--health", default="/", metavar="PATH", help="healthy: below 500 here (default: /)")


def _folder(text: str) -> Path:
    return Path(text).absolute()


@dataclass(frozen=True)
class Prepared:
    """A checked app, ready for its cells: what they share, and what meta.json records."""

    matrix: Matrix
    cells: list[Cell]
    app: AppRun
    meta: dict
    gated: list[Threshold]  # the thresholds to judge, checked against the cells


def plan_cells(args: argparse.Namespace, the_matrix: Matrix) -> list[Cell]:
    """One cell per setup, named for its traffic; what --app does not take yet is refused."""
    name = args.locustfile.stem if args.locustfile else "openapi-gets"
    if args.engine != "local":
        raise plan.PlanError(f"--app runs on the local engine only, not --engine {args.engine}")
    if args.scenarios or args.variants:
        raise plan.PlanError("--app runs the app's own traffic: leave out --scenarios and --variants")
    if args.repeat != 1 or args.converge is not None or args.check:
        raise plan.PlanError("--app does not take --repeat, --converge or --check yet")
    asked = plan.Overrides(setups=args.setups, users=args.users, duration_s=args.duration)
    return plan.resolve_app(the_matrix, args.profile, name, asked)


def _pg_env(cluster: Cluster | None) -> dict[str, str]:
    """What --postgres exports: a TCP address on loopback, the role and database initdb made."""
    if cluster is None:
        return {}
    return {
        "PGHOST": server.HOST,
        "PGPORT": str(cluster.port),
        "PGUSER": postgres.ROLE,
        "PGDATABASE": postgres.DATABASE,
        "DATABASE_URL": cluster.dsn,
    }


def _process(args: argparse.Namespace, scratch: Path, env: dict[str, str]) -> AppProcess:
    """The app's interpreter; another than asyncgap's gets the app-side rooms injected."""
    python = str(Path(args.python).absolute()) if args.python else sys.executable  # not resolved: a venv's
    if not Path(python).is_file():  # python is a link its folder gives meaning to
        raise AppError(f"--python {args.python}: no such file")
    own = Path(python).absolute() == Path(sys.executable).absolute()
    path = () if own else (str(inject(scratch / "inject")),)
    return AppProcess(python=python, app_dir=args.app_dir, path=path, env=env)


def _servers_there(found: dict, cells: list[Cell], the_matrix: Matrix) -> None:
    """The servers the setups need, in the app's interpreter."""
    versions = found["versions"]
    need = {"uvicorn"} | {
        name
        for c in cells
        if the_matrix.setups[c.setup].server == "gunicorn"
        for name in ("gunicorn", "uvicorn-worker")
    }
    missing = sorted(name for name in need if not versions.get(name))
    if missing:
        raise AppError(
            f"the app's interpreter has no {', '.join(missing)}: install it there, or pick other --setups"
        )
    uvicorn = versions["uvicorn"]
    if tuple(int(part) for part in re.findall(r"\d+", uvicorn)[:2]) < UVICORN_SINCE:
        since = ".".join(map(str, UVICORN_SINCE))
        raise AppError(
            f"the app's interpreter has uvicorn {uvicorn}; asyncgap starts it with "
            f"--timeout-graceful-shutdown, which needs uvicorn {since} or later: upgrade it there"
        )


def _target(args: argparse.Namespace, process: AppProcess, matrix_file: Path) -> server.Target:
    options = ("--app", args.app, "--watch", "--matrix", str(matrix_file), *process.launcher_options())
    return server.Target(LAUNCHER, options, args.health, range(100, 500), HEALTH_TIMEOUT_S)


def _own_locustfile(args: argparse.Namespace, folder: Path) -> tuple[Path, list, list] | None:
    """The user's locustfile with asyncgap's part of Locust beside it, loaded once as Locust will,
    and, as _generated gives them, the endpoints it calls (its own business) and what it left
    out: a LoadTestShape of the user's."""
    if args.locustfile is None:
        return None
    if not args.locustfile.is_file():
        raise traffic.TrafficError(f"--locustfile {args.locustfile}: no such file")
    path = folder / traffic.WRAPPED_NAME
    path.write_text(traffic.wrapped(args.locustfile))
    shapes = traffic.check(path, folder / "locustfile-check.log").shapes
    return path, [], [ownapp.LeftOut(endpoint=name, why=traffic.SHAPE_WHY) for name in shapes]


def _generated(args: argparse.Namespace, found: dict, url: str, folder: Path) -> tuple[Path, list, list]:
    """A locustfile of the app's OpenAPI GETs that answer (written to `folder`), the endpoints it
    calls, and what it left out."""
    if found["operations_missing"]:
        raise traffic.TrafficError(f"{found['operations_missing']}: pass --locustfile")
    paths, left_out = traffic.candidates(found["operations"])
    schemes = {op["path"]: op.get("credentials", []) for op in found["operations"] if op["method"] == "GET"}
    kept, failed = traffic.probe(url, paths, schemes)
    if not kept:
        raise traffic.TrafficError(
            "no GET of the app's OpenAPI schema can be called as is: pass --locustfile"
        )
    path = folder / traffic.GENERATED_NAME
    path.write_text(traffic.generated(args.app, kept))
    traffic.check(path, folder / "locustfile-check.log")
    return path, kept, left_out + failed


def _started_once(args, process: AppProcess, target: server.Target, cells: list[Cell], log: Path, work):
    """Start the app as its first cell will, check its health, and do `work(url)` while it runs."""
    setup = cells[0].setup
    port = server.free_port()
    try:
        with server.serving(setup, port=port, log_path=log, env=process.env, target=target) as running:
            return work(running.url)
    except server.ServerError as exc:
        why = str(exc).splitlines()[0].rstrip(":")
        raise AppError(
            f"the app did not answer GET {args.health} below 500 ({why}); its log ends: "
            f"{tail(log) if log.exists() else '(no log)'}"
        ) from None


def _findings(
    args: argparse.Namespace, found: dict, locustfile: Path, endpoints, left_out
) -> ownapp.AppFindings:
    return ownapp.AppFindings(
        target=args.app,
        versions=found["versions"],
        routes=ownapp.shapes(found["routes"]),
        routes_missing=found["routes_missing"],
        traffic="locustfile" if args.locustfile else "openapi",
        locustfile=f"{APP_FOLDER}/{locustfile.name}",
        endpoints=endpoints,
        left_out=left_out,
    )


def _meta(args: argparse.Namespace, process: AppProcess, findings: ownapp.AppFindings) -> dict:
    """meta.json's `app`: what was asked and found; of the environment, the names only."""
    return {
        "app": {
            "target": args.app,
            "app_dir": str(args.app_dir),
            "python": process.python,
            "versions": findings.versions,
            "env_files": [str(path) for path in args.env_file],
            "env_names": sorted(process.env),
            "prestart": args.prestart,
            "postgres": args.postgres,
            "health": args.health,
            "traffic": findings.traffic,
            "locustfile": str(args.locustfile) if args.locustfile else findings.locustfile,
        }
    }


def _check_ports(the_matrix: Matrix, cells: list[Cell]) -> None:
    for setup in {cell.setup for cell in cells}:
        try:
            server.ensure_port_free(the_matrix.setups[setup].port)
        except server.ServerError as exc:
            raise plan.PlanError(str(exc)) from None


@contextmanager
def prepared(
    args: argparse.Namespace, create_out: Callable[[Path | None], Path]
) -> Iterator[tuple[Prepared, Path]]:
    """The app checked from end to end, and its run folder made; the scratch folder and the
    --postgres cluster live until the block ends. Bad input raises one of BAD_INPUT."""
    matrix_file = matrix.locate_for_app(args.matrix)
    the_matrix = matrix.load(matrix_file)
    cells = plan_cells(args, the_matrix)
    gated = gating.before_load(args, the_matrix, cells)
    if args.postgres:
        postgres.binaries()
    with (
        lifeline.scratch("asyncgap-app-") as scratch,
        postgres.running(scratch / "postgres") if args.postgres else nullcontext() as cluster,
    ):
        folder = scratch / APP_FOLDER
        folder.mkdir()
        env = appenv.AppEnv(tuple(args.env_file), tuple(args.env), _pg_env(cluster)).resolve(os.environ)
        own = _own_locustfile(args, folder)
        process = _process(args, scratch, env)
        found = process.introspect(args.app, folder)
        _servers_there(found, cells, the_matrix)
        if args.prestart:
            process.prestart(args.prestart, folder / "prestart.log")
        target = _target(args, process, matrix_file)
        locustfile, endpoints, left_out = _started_once(
            args,
            process,
            target,
            cells,
            folder / "first-start.log",
            lambda url: own or _generated(args, found, url, folder),
        )
        findings = _findings(args, found, locustfile, endpoints, left_out)
        _check_ports(the_matrix, cells)
        out = create_out(args.out)
        shutil.copytree(folder, out / APP_FOLDER, dirs_exist_ok=True)
        scenario = Scenario(
            description=f"the traffic of {args.app}",
            locustfile=str(out / findings.locustfile),
            users=cells[0].users,
        )
        app = AppRun(target, env, scenario, findings, cluster)
        yield Prepared(the_matrix, cells, app, _meta(args, process, findings), gated), out


def notes(findings: ownapp.AppFindings) -> list[str]:
    """What the console says before the cells: what the traffic left out (the generated one's
    endpoints, or a user's LoadTestShape)."""
    return [f"left out {item.endpoint}: {item.why}" for item in findings.left_out]
