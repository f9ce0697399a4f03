"""The command line of `asyncgap VERB`: one parser, every option's type checked as it is read, a
usage mistake answered in one line with exit status 2."""

import argparse
from pathlib import Path

from asyncgap import app_run, gating
from asyncgap.bench import suite
from asyncgap.cell import plan
from asyncgap.core import levels, matrix, web_account
from asyncgap.core.variants import VARIANTS
from asyncgap.engines.local import ENGINES

EXIT_USAGE = 2


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the usage text is one --help away)."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"error: {message} (see {self.prog} --help)\n")


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _users(text: str) -> tuple[int, ...]:
    """One number of users, or a sweep's levels: 1,10,40 (checked as a plan, see asyncgap/core/levels.py)."""
    try:
        return levels.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _workers(text: str) -> int:
    """A count of Locust worker processes: a whole number, 1 or more."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of Locust workers, 1 or more, got {text!r}")
    return int(text)


def _path(text: str) -> Path:
    """A path the user typed, made absolute at once: the harness then works from the matrix's folder."""
    return Path(text).absolute()


def _with_matrix(verb: argparse.ArgumentParser) -> argparse.ArgumentParser:
    verb.add_argument(
        "--matrix",
        type=_path,
        metavar="FILE",
        help=f"the matrix (default: ${matrix.MATRIX_ENV}, else ./{matrix.MATRIX_NAME})",
    )
    return verb


def overrides(args: argparse.Namespace) -> plan.Overrides:
    """What `asyncgap run`'s options change of its profile."""
    return plan.Overrides(
        setups=args.setups,
        scenarios=args.scenarios,
        variants=args.variants,
        users=args.users,
        duration_s=args.duration,
        repeats=args.repeat,
        converge_pct=args.converge,
    )


def _add_run(verbs) -> None:
    go = _with_matrix(
        verbs.add_parser("run", help="run the matrix and write a dashboard", epilog=gating.EXIT_CODES)
    )
    go.add_argument("--profile", default="default", help="quick, default, full or sweep (see matrix.toml)")
    go.add_argument("--quick", action="store_const", dest="profile", const="quick", help="= --profile quick")
    go.add_argument("--setups", type=_names, help="comma-separated setups (default: the profile's)")
    go.add_argument("--scenarios", type=_names, help="comma-separated scenarios")
    go.add_argument("--variants", type=_names, help=f"comma-separated, of: {', '.join(VARIANTS)}")
    go.add_argument(
        "--users",
        type=_users,
        metavar="N[,N...]",
        help="concurrent users (default: the scenario's); a list such as 1,10,40 sweeps them, one level each",
    )
    go.add_argument("--duration", type=float, help="seconds of load per cell, or per level of a sweep")
    go.add_argument("--out", type=_path, help="run folder (default: results/<UTC timestamp>)")
    go.add_argument(
        "--repeat", type=int, default=1, help="run each cell K times, interleaved, to measure noise"
    )
    go.add_argument(
        "--converge",
        type=float,
        metavar="PCT",
        help="end each cell's load once its rps is known within +-PCT (95%%); the duration caps it",
    )
    go.add_argument("--check", action="store_true", help="exit 1 unless the scenarios' expected gaps show")
    go.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="where servers and Locust run: local processes, or Docker Compose services",
    )
    go.add_argument(
        "--generator-workers",
        type=_workers,
        default=1,
        metavar="N",
        help="Locust as a master and N worker processes (its distributed mode); 1 = one process locally",
    )
    gating.add_run_flags(go)
    app_run.add_options(go)


def _add_ui(verbs) -> None:
    ui_verb = _with_matrix(
        verbs.add_parser("ui", help="the setups and Locust's web UI on loopback, until Ctrl-C")
    )
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


def _add_bench(verbs) -> None:
    bench_verb = _with_matrix(
        verbs.add_parser("bench", help="the pack measures itself (fidelity, headroom, overhead)")
    )
    bench_verb.add_argument("--out", type=_path, help="folder (default: results/bench-<UTC timestamp>)")
    bench_verb.add_argument(
        "--only", type=_names, help=f"comma-separated sections (default: all): {', '.join(suite.SECTIONS)}"
    )


def _add_readers(verbs) -> None:
    """The verbs that read what runs wrote, or the matrix: list, compare, report."""
    _with_matrix(verbs.add_parser("list", help="setups, scenarios, variants and profiles, with descriptions"))
    versus = verbs.add_parser("compare", help="two runs side by side, with significance")
    versus.add_argument("run_a", type=_path, help="the baseline run folder")
    versus.add_argument("run_b", type=_path, help="the run to judge against it")
    versus.add_argument(
        "--fail-on-regression",
        type=float,
        metavar="PCT",
        help="exit 1 when a significant throughput drop, or p95 rise, exceeds PCT percent",
    )
    gating.add_junit_flag(versus, "a test case per compared cell (a regression beyond PCT fails)")
    rebuild = verbs.add_parser("report", help="rebuild the dashboard of a run folder, or print its table")
    rebuild.add_argument("run_dir", type=_path)
    rebuild.add_argument(
        "--markdown",
        action="store_true",
        help="print the cells as a Markdown table instead (the docs' tables)",
    )
    rebuild.add_argument(
        "--cells",
        metavar="SETUPS/SCENARIOS/VARIANTS",
        help="with --markdown: comma lists or * each, e.g. uvicorn-1w/sleep/* (a bench run: its sections)",
    )
    rebuild.add_argument(
        "--columns",
        metavar="NAMES",
        help="with --markdown: comma-separated headings (default: the console's)",
    )


def parser(description: str) -> argparse.ArgumentParser:
    """`asyncgap VERB [OPTIONS]`, every verb with its options."""
    top = _OneLineParser(prog="asyncgap", description=description)
    verbs = top.add_subparsers(dest="verb", required=True, metavar="VERB")
    for add in (_add_run, _add_ui, _add_bench, _add_readers):
        add(verbs)
    return top
