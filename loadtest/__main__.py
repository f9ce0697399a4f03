"""`python -m loadtest VERB`: the harness's command line (run, ui, bench, compare, list, report).

Every mistake the user can make is answered with one line on stderr and exit status 2;
an interrupted run keeps the cells it finished and exits 130 (Ctrl-C), 143 (SIGTERM) or
129 (SIGHUP: its terminal was closed).
"""

import argparse
import os
import signal
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path

from core import levels, matrix
from core.matrix import ROOT
from core.variants import VARIANTS
from loadtest import (
    bench,
    check,
    compare,
    console,
    engines,
    generators,
    meta,
    plan,
    postgres,
    records,
    report,
    run,
    ui,
)  # fmt: skip
from loadtest.engine import ENGINES
from loadtest.files import write_atomic, write_json
from locustfiles import web_account

RESULTS = ROOT / "results"
EXIT_USAGE = 2


class Interrupted(BaseException):  # like KeyboardInterrupt: no `except Exception` may swallow it
    """SIGINT, SIGTERM or SIGHUP during a run; carries the exit status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the usage text is one --help away)."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"error: {message} (see {self.prog} --help)\n")


def _raise_interrupted(signum, _frame) -> None:
    raise Interrupted(128 + signum)


def _hung_up(signum, frame) -> None:
    """The terminal is gone: output still to come goes to /dev/null instead of failing with EIO
    (a file or pipe it was redirected to stays), and a second hangup cannot cut the clean-up short."""
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        if stat.S_ISCHR(os.fstat(fd).st_mode):  # a terminal (isatty fails once it has hung up)
            os.dup2(devnull, fd)
    os.close(devnull)
    _raise_interrupted(signum, frame)


def _interrupt_status(exc: BaseException) -> int:
    return exc.status if isinstance(exc, Interrupted) else 128 + signal.SIGINT


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _users(text: str) -> tuple[int, ...]:
    """One number of users, or a sweep's levels: 1,10,40 (checked as a plan, see core/levels.py)."""
    try:
        return levels.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _workers(text: str) -> int:
    """A count of Locust worker processes: a whole number, 1 or more."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of Locust workers, 1 or more, got {text!r}")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m loadtest", description=__doc__.splitlines()[0])
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    go = verbs.add_parser("run", help="run the matrix and write a dashboard")
    go.add_argument("--profile", default="default", help="quick, default, full or sweep (see matrix.toml)")
    go.add_argument("--quick", action="store_const", dest="profile", const="quick", help="= --profile quick")
    go.add_argument("--setups", type=_names, help="comma-separated setups (default: the profile's)")
    go.add_argument("--scenarios", type=_names, help="comma-separated scenarios")
    go.add_argument("--variants", type=_names, help=f"comma-separated, of: {', '.join(VARIANTS)}")
    go.add_argument(
        "--users", type=_users, metavar="N[,N...]",
        help="concurrent users (default: the scenario's); a list such as 1,10,40 sweeps them, one level each",
    )  # fmt: skip
    go.add_argument("--duration", type=float, help="seconds of load per cell, or per level of a sweep")
    go.add_argument("--out", type=Path, help="run folder (default: results/<UTC timestamp>)")
    go.add_argument(
        "--repeat", type=int, default=1, help="run each cell K times, interleaved, to measure noise"
    )
    go.add_argument(
        "--converge", type=float, metavar="PCT",
        help="end each cell's load once its rps is known within +-PCT (95%%); the duration caps it",
    )  # fmt: skip
    go.add_argument("--check", action="store_true", help="exit 1 unless the scenarios' expected gaps show")
    go.add_argument("--engine", choices=ENGINES, default="local",
                    help="where servers and Locust run: local processes, or Docker Compose services")
    go.add_argument(
        "--generator-workers", type=_workers, default=1, metavar="N",
        help="Locust as a master and N worker processes (its distributed mode); 1 = one process locally",
    )  # fmt: skip

    ui_verb = verbs.add_parser("ui", help="the setups and Locust's web UI on loopback, until Ctrl-C")
    ui_verb.add_argument("--setups", type=_names, help="comma-separated setups (default: all)")
    ui_verb.add_argument(
        "--side-by-side", action="store_true", help="one web UI per setup, ports 8089, 8090..."
    )
    ui_verb.add_argument(
        "--allow-remote-target",
        action="store_true",
        help="let the web UI's host field aim beyond loopback (only at a host you own)",
    )
    ui_verb.add_argument(
        "--web-login",
        action="store_true",
        help=f"a login page; the account is {web_account.USER_ENV} / {web_account.PASSWORD_ENV}",
    )

    bench_verb = verbs.add_parser("bench", help="the pack measures itself (fidelity, headroom, overhead)")
    bench_verb.add_argument("--out", type=Path, help="folder (default: results/bench-<UTC timestamp>)")
    bench_verb.add_argument(
        "--only", type=_names, help=f"comma-separated sections (default: all): {', '.join(bench.SECTIONS)}"
    )

    verbs.add_parser("list", help="setups, scenarios, variants and profiles, with descriptions")

    versus = verbs.add_parser("compare", help="two runs side by side, with significance")
    versus.add_argument("run_a", type=Path, help="the baseline run folder")
    versus.add_argument("run_b", type=Path, help="the run to judge against it")
    versus.add_argument("--fail-on-regression", type=float, metavar="PCT",
                        help="exit 1 when a significant throughput drop exceeds PCT percent")  # fmt: skip

    rebuild = verbs.add_parser("report", help="rebuild the dashboard of a run folder")
    rebuild.add_argument("run_dir", type=Path)
    return parser


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _create_out(out: Path | None) -> Path:
    """A new, empty run folder, created; nothing is created when it cannot be used."""
    if out is None:
        out = RESULTS / _timestamp()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise plan.PlanError(f"--out {out} exists and is not an empty folder")
    for ancestor in out.parents:
        if ancestor.exists() and not ancestor.is_dir():
            raise plan.PlanError(f"--out {out}: {ancestor} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # not writable, read-only file system, ...
        raise plan.PlanError(f"cannot create --out {out}: {exc.strerror}") from None
    return out


def _check_ports(the_matrix: matrix.Matrix, setups: list[str]) -> None:
    """Fail before writing or starting anything if a port the command needs is taken."""
    ports = [the_matrix.upstream.port] + [the_matrix.setups[s].port for s in set(setups)]
    for port in ports:
        try:
            run.server.ensure_port_free(port)
        except run.server.ServerError as exc:
            raise plan.PlanError(str(exc)) from None


def _link_latest(out: Path) -> None:
    """results/latest -> the newest run, replaced atomically."""
    if out.resolve().parent != RESULTS.resolve():
        return
    tmp = RESULTS / ".latest.tmp"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(out.name)
    os.replace(tmp, RESULTS / "latest")


def cmd_run(args: argparse.Namespace) -> int:
    the_matrix = matrix.load()
    cells = plan.resolve(
        the_matrix,
        args.profile,
        setups=args.setups,
        scenarios=args.scenarios,
        variants=args.variants,
        users=args.users,
        duration_s=args.duration,
        repeats=args.repeat,
        converge_pct=args.converge,
    )
    if args.engine == "local":
        _check_ports(the_matrix, [c.setup for c in cells])
    scenarios = the_matrix.scenarios
    on_postgres = sorted({c.scenario for c in cells if scenarios[c.scenario].database == "postgres"})
    if on_postgres and args.engine != "local":
        left_out = ",".join(on_postgres)
        raise plan.PlanError(f"--engine {args.engine} has no PostgreSQL yet; leave out {left_out}")
    if on_postgres:
        postgres.binaries()  # missing: one line before anything is written
    chosen = engines.prepare(args.engine, args.generator_workers)  # before any folder: it may refuse
    out = _create_out(args.out)
    started = datetime.now(UTC)
    write_json(out / "meta.json", {**meta.collect(the_matrix, args.profile, cells, started), **chosen.meta()})
    status = 0
    done: list[records.CellResult] = []
    try:
        with console.Progress(cells) as progress:
            done = run.run(cells, the_matrix, out, on_cell_start=progress.start, on_cell_done=progress.done,
                           engine=chosen)  # fmt: skip
    except (Interrupted, KeyboardInterrupt) as exc:
        status = _interrupt_status(exc)
        console.err(f"interrupted: keeping the {len(_finished(out))} finished cell(s) in {out}")
        done = _finished(out)
    except run.server.ServerError as exc:  # the upstream, which every cell needs, did not start
        status = 1
        console.err(f"error: {exc}")
    except postgres.PostgresError as exc:  # the cluster its PostgreSQL cells need did not start
        status = EXIT_USAGE
        console.err(f"error: {exc}")
    records.RunSummary(complete=status == 0, cells=done).save(out)
    report.write(out)
    _link_latest(out)
    console.summary_table(done, out)
    for hint in generators.advice(done, the_matrix, chosen.generator_workers):
        console.err(hint)
    if status == 0 and not all(c.ok for c in done):
        status = 1
    if status == 0 and args.check:
        for reason in check.broken_expectations(done, the_matrix):
            console.err(f"check failed: {reason}")
            status = 1
    return status


def _finished(out: Path) -> list[records.CellResult]:
    try:
        return records.load_summary(out).cells
    except records.ResultsError:
        return []


def cmd_ui(args: argparse.Namespace) -> int:
    the_matrix = matrix.load()
    setups = args.setups or list(the_matrix.setups)
    plan.known("setup", setups, the_matrix.setups)  # unknown names and taken ports fail before any start
    if args.web_login and web_account.credentials() is None:
        raise plan.PlanError(web_account.MISSING)
    _check_ports(the_matrix, setups)
    return ui.serve(the_matrix, setups, side_by_side=args.side_by_side,
                    allow_remote_target=args.allow_remote_target, web_login=args.web_login)  # fmt: skip


def cmd_bench(args: argparse.Namespace) -> int:
    the_matrix = matrix.load()
    plan.known("bench section", args.only or [], bench.SECTIONS)
    _check_ports(the_matrix, list(the_matrix.setups))
    out = _create_out(args.out or RESULTS / f"bench-{_timestamp()}")
    report = bench.run_all(the_matrix, out, tuple(args.only or bench.SECTIONS))
    text = bench.markdown(report)
    write_atomic(out / "bench.md", text)
    print(text)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    rows = compare.compare(args.run_a, args.run_b)
    console.compare_table(rows)
    print(report.write_compare(rows, args.run_a, args.run_b, args.run_b / "compare.html"))
    if args.fail_on_regression is not None:
        worse = compare.regressions(rows, args.fail_on_regression)
        for row in worse:
            console.err(
                f"regression: {row['setup']} {row['scenario']} {row['variant']}: {row['rps_change']:+.1%} rps"
                f" at {row['users']} users"
            )
        return 1 if worse else 0
    return 0


def cmd_list(_args: argparse.Namespace) -> int:
    console.describe(matrix.load())
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    records.load_summary(args.run_dir)  # fail early and clearly on a foreign folder
    print(report.write(args.run_dir))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    verbs = {
        "run": cmd_run,
        "ui": cmd_ui,
        "bench": cmd_bench,
        "compare": cmd_compare,
        "list": cmd_list,
        "report": cmd_report,
    }
    verb = verbs[args.verb]
    signal.signal(signal.SIGTERM, _raise_interrupted)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:  # under nohup, keep running
        signal.signal(signal.SIGHUP, _hung_up)
    try:
        return verb(args)
    except (Interrupted, KeyboardInterrupt) as exc:
        return _interrupt_status(exc)
    except (matrix.MatrixError, plan.PlanError, records.ResultsError, compare.CompareError,
            engines.EngineError, postgres.PostgresError) as exc:  # fmt: skip
        console.err(f"error: {exc}")
        return EXIT_USAGE
    except run.server.ServerError as exc:  # a server that the whole command needs did not start
        console.err(f"error: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
