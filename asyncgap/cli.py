"""`asyncgap VERB` (or `python -m asyncgap VERB`): run, ui, bench, compare, list, report.

Every mistake the user can make is answered with one line on stderr and exit status 2;
an interrupted run keeps the cells it finished and exits 130 (Ctrl-C), 143 (SIGTERM) or
129 (SIGHUP: its terminal was closed); a run whose threshold failed exits 99
(asyncgap/gating.py lists every status).
"""

import argparse
import os
import signal
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from asyncgap import app_run, arguments, gating, interrupts, meta, pages, run, run_folder, ui
from asyncgap.arguments import EXIT_USAGE
from asyncgap.bench import suite
from asyncgap.cell import plan
from asyncgap.core import gates, matrix, records, thresholds, web_account
from asyncgap.core.files import write_atomic, write_json
from asyncgap.core.thresholds import Threshold
from asyncgap.engines import choose, postgres, server
from asyncgap.engines.local import Engine
from asyncgap.views import (
    advice,
    advice_page,
    check,
    compare,
    compare_page,
    console,
    generators,
    junit,
    report,
)
from asyncgap.views.markdown import MarkdownError


def _check_ports(the_matrix: matrix.Matrix, setups: list[str]) -> None:
    """Fail before writing or starting anything if a port the command needs is taken."""
    ports = [the_matrix.upstream.port] + [the_matrix.setups[s].port for s in set(setups)]
    for port in ports:
        try:
            server.ensure_port_free(port)
        except server.ServerError as exc:
            raise plan.PlanError(str(exc)) from None


def _project(args: argparse.Namespace) -> matrix.Matrix:
    """The matrix asked for; the harness then works from its folder (as `make -C` does), where its
    relative paths point: locustfiles, the demo service, results/."""
    the_matrix = matrix.load(args.matrix)
    os.chdir(the_matrix.root)
    return the_matrix


def _plan(args: argparse.Namespace, the_matrix: matrix.Matrix) -> list[plan.Cell]:
    """The cells asked for, refused before anything is written or started if they cannot run."""
    cells = plan.resolve(the_matrix, args.profile, arguments.overrides(args))
    if args.engine == "local":
        _check_ports(the_matrix, [c.setup for c in cells])
    scenarios = the_matrix.scenarios
    on_postgres = sorted({c.scenario for c in cells if scenarios[c.scenario].database == "postgres"})
    if on_postgres and args.engine != "local":
        left_out = ",".join(on_postgres)
        raise plan.PlanError(f"--engine {args.engine} has no PostgreSQL yet; leave out {left_out}")
    if on_postgres:
        postgres.binaries()  # missing: one line before anything is written
    return cells


@dataclass(frozen=True)
class _Ready:
    """A run checked and its folder made: its cells, matrix, engine, thresholds (and a user's app)."""

    cells: list[plan.Cell]
    matrix: matrix.Matrix
    out: Path
    engine: Engine
    gated: list[Threshold]
    started: datetime
    app: app_run.AppRun | None = None


def cmd_run(args: argparse.Namespace) -> int:
    if args.app is not None:
        return cmd_run_app(args)
    the_matrix = _project(args)
    cells = _plan(args, the_matrix)
    gated = gating.before_load(args, the_matrix, cells)
    chosen = choose.prepare(args.engine, args.generator_workers)  # before any folder: it may refuse
    out = run_folder.create(args.out)
    started = datetime.now(UTC)
    write_json(out / "meta.json", {**meta.collect(the_matrix, args.profile, cells, started), **chosen.meta()})
    return _complete(args, _Ready(cells, the_matrix, out, chosen, gated, started))


def cmd_run_app(args: argparse.Namespace) -> int:
    """The user's own app: checked end to end before anything is written, then the same cells."""
    started = datetime.now(UTC)
    with app_run.prepared(args, run_folder.create) as (ready, out):
        for note in app_run.notes(ready.app.findings):
            console.err(note)
        engine = choose.prepare("local", args.generator_workers)
        collected = meta.collect(ready.matrix, args.profile, ready.cells, started)
        write_json(out / "meta.json", {**collected, **engine.meta(), **ready.meta})
        return _complete(
            args, _Ready(ready.cells, ready.matrix, out, engine, ready.gated, started, ready.app)
        )


def _complete(args: argparse.Namespace, ready: _Ready) -> int:
    """Run the cells with progress on screen; the summary, dashboard, table and gates whatever
    happens. A failed cell outranks a failed threshold."""
    status, done = _run_cells(ready)
    results = gates.evaluate(ready.gated, done)
    findings = ready.app and ready.app.findings
    wall_s = round((datetime.now(UTC) - ready.started).total_seconds(), 1)
    summary = records.RunSummary(
        complete=status == 0, cells=done, app=findings, thresholds=results, wall_s=wall_s
    )
    summary.save(ready.out)
    report.write(ready.out)
    for line in advice_page.limiters(advice.build(summary)):
        console.err(f"limiter: {line}")
    run_folder.link_latest(ready.out)
    console.summary_table(done, ready.out)
    threshold_status = gating.after_run(args, done, results)
    for hint in generators.advice(done, ready.matrix, ready.engine.generator_workers):
        console.err(hint)
    if status == 0 and not all(c.ok for c in done):
        status = 1
    if status == 0 and args.check:
        for reason in check.broken_expectations(done, ready.matrix):
            console.err(f"check failed: {reason}")
            status = 1
    return status or threshold_status


def _run_cells(ready: _Ready) -> tuple[int, list[records.CellResult]]:
    """The run with its progress shown: its exit status so far and the cells it finished."""
    out = ready.out
    try:
        with console.Progress(ready.cells) as progress:
            done = run.run(
                ready.cells,
                ready.matrix,
                out,
                progress=progress,
                engine=ready.engine,
                app=ready.app,
            )
        return 0, done
    except (interrupts.Interrupted, KeyboardInterrupt) as exc:
        console.err(f"interrupted: keeping the {len(_finished(out))} finished cell(s) in {out}")
        return interrupts.status(exc), _finished(out)
    except server.ServerError as exc:  # the upstream, which every cell needs, did not start
        console.err(f"error: {exc}")
        return 1, []
    except postgres.PostgresError as exc:  # the cluster its PostgreSQL cells need did not start
        console.err(f"error: {exc}")
        return EXIT_USAGE, []


def _finished(out: Path) -> list[records.CellResult]:
    try:
        return records.load_summary(out).cells
    except records.ResultsError:
        return []


def cmd_ui(args: argparse.Namespace) -> int:
    the_matrix = _project(args)
    setups = args.setups or list(the_matrix.setups)
    plan.known("setup", setups, the_matrix.setups)  # unknown names and taken ports fail before any start
    if args.web_login and web_account.credentials() is None:
        raise plan.PlanError(web_account.MISSING)
    _check_ports(the_matrix, setups)
    return ui.serve(
        the_matrix,
        setups,
        side_by_side=args.side_by_side,
        allow_remote_target=args.allow_remote_target,
        web_login=args.web_login,
    )


def cmd_bench(args: argparse.Namespace) -> int:
    the_matrix = _project(args)
    plan.known("bench section", args.only or [], suite.SECTIONS)
    _check_ports(the_matrix, list(the_matrix.setups))
    out = run_folder.create(args.out or run_folder.RESULTS / f"bench-{run_folder.timestamp()}")
    write_json(out / "meta.json", meta.collect(the_matrix, None, [], datetime.now(UTC)))
    report = suite.run_all(the_matrix, out, tuple(args.only or suite.SECTIONS))
    text = suite.markdown(report)
    write_atomic(out / "bench.md", text)
    print(text)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    if args.junit is not None:
        junit.check_writable(args.junit)
    rows = compare.compare(args.run_a, args.run_b)
    console.compare_table(rows)
    print(compare_page.write(rows, args.run_a, args.run_b, args.run_b / "compare.html"))
    gating.after_compare(args, rows)
    if args.fail_on_regression is not None:
        worse = compare.regressions(rows, args.fail_on_regression)
        for row in worse:
            console.err(
                f"regression: {row['setup']} {row['scenario']} {row['variant']}: "
                f"{', '.join(compare.regressed(row, args.fail_on_regression))} at {row['users']} users"
            )
        return 1 if worse else 0
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    console.describe(_project(args))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    if args.markdown:
        print(pages.render(args.run_dir, args.cells, args.columns), end="")
        return 0
    if args.cells or args.columns:
        raise plan.PlanError("--cells and --columns go with --markdown")
    records.load_summary(args.run_dir)  # fail early and clearly on a foreign folder
    print(report.write(args.run_dir))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = arguments.parser(__doc__.splitlines()[0]).parse_args(argv)
    verbs = {
        "run": cmd_run,
        "ui": cmd_ui,
        "bench": cmd_bench,
        "compare": cmd_compare,
        "list": cmd_list,
        "report": cmd_report,
    }
    verb = verbs[args.verb]
    signal.signal(signal.SIGTERM, interrupts.raise_interrupted)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:  # under nohup, keep running
        signal.signal(signal.SIGHUP, interrupts.hung_up)
    try:
        return verb(args)
    except (interrupts.Interrupted, KeyboardInterrupt) as exc:
        return interrupts.status(exc)
    except (
        matrix.MatrixError,
        plan.PlanError,
        records.ResultsError,
        compare.CompareError,
        choose.EngineError,
        postgres.PostgresError,
        *app_run.BAD_INPUT,
        thresholds.ThresholdError,
        junit.JUnitError,
        MarkdownError,
    ) as exc:
        console.err(f"error: {exc}")
        return EXIT_USAGE
    except server.ServerError as exc:  # a server that the whole command needs did not start
        console.err(f"error: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
