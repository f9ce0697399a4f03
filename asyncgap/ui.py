"""`python -m asyncgap ui`: the upstream, the setups and Locust's web UI on loopback, until Ctrl-C.

Everything is started in its own process group and stopped through an ExitStack, so
Ctrl-C, SIGTERM, SIGHUP or a crashed Locust all leave nothing running (and after a SIGKILL,
the reaper: see asyncgap.engines.lifeline).
"""

import os
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

from rich.table import Table

from asyncgap.core.matrix import Matrix
from asyncgap.engines import children, lifeline, server, swarm
from asyncgap.views import console

WEB_PORT = 8089
LOG_DIR = Path("var") / "ui-logs"  # in the project folder, where the harness works


def _wait_for_web_ui(port: int, process: subprocess.Popen, page: str, timeout: float = 30.0) -> None:
    if not server.wait_until_ok(f"http://127.0.0.1:{port}{page}", process, timeout):
        raise server.ServerError(f"Locust's web UI did not answer on port {port} (see {LOG_DIR})")


def _live_env(target: dict[str, str]) -> dict[str, str]:
    """Where the live page reads the workers' files: the target's folder, unless the caller names
    another (their own app's, started with the same ASYNCGAP_METRICS_DIR; see docs/blocking.md)."""
    return {"ASYNCGAP_METRICS_DIR": os.environ.get("ASYNCGAP_METRICS_DIR") or target["ASYNCGAP_METRICS_DIR"]}


def serve(
    matrix: Matrix,
    setups: list[str],
    *,
    side_by_side: bool,
    allow_remote_target: bool = False,
    web_login: bool = False,
    web_port: int = WEB_PORT,
) -> int:
    """Run until interrupted; returns 1 if a Locust UI dies on its own."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    locustfiles = [*dict.fromkeys(s.locustfile for s in matrix.scenarios.values()), swarm.SHAPES]
    with ExitStack() as stack:
        upstream = stack.enter_context(
            server.serving("upstream", port=matrix.upstream.port, log_path=LOG_DIR / "upstream.log")
        )
        scratch = stack.enter_context(lifeline.scratch("asyncgap-ui-"))
        envs = {name: server.environment(scratch, name, upstream_url=upstream.url) for name in setups}
        running = [
            stack.enter_context(
                server.serving(
                    name, port=matrix.setups[name].port, log_path=LOG_DIR / f"{name}.log", env=envs[name]
                )
            )
            for name in setups
        ]
        targets = running if side_by_side else running[:1]
        uis = []
        for offset, target in enumerate(targets):
            port = web_port + offset
            server.ensure_port_free(port)
            log = LOG_DIR / f"locust-{port}.log"
            argv = swarm.web_ui_argv(
                locustfiles, target.url, port, allow_remote_target=allow_remote_target, web_login=web_login
            )
            process = children.spawn(argv, log_path=log, env=_live_env(envs[target.name]))
            stack.callback(children.stop_group, process)
            _wait_for_web_ui(port, process, "/login" if web_login else "/")  # both answer 200
            uis.append((target, port, process))
        _print_urls(running, uis, side_by_side)
        while all(process.poll() is None for _, _, process in uis):
            time.sleep(0.5)
        console.err("a Locust web UI exited; stopping everything")
        return 1


def _print_urls(running: list[server.RunningServer], uis: list, side_by_side: bool) -> None:
    table = Table(title="asyncgap ui: Ctrl-C stops everything", title_justify="left")
    for column in ("setup", "service", "Locust web UI", "live loop lag and thread tokens"):
        table.add_column(column)
    ui_of = {target.name: port for target, port, _ in uis}
    for srv in running:
        port = ui_of.get(srv.name)
        web = f"http://127.0.0.1:{port}" if port else "(type this service URL as the host)"
        live = f"http://127.0.0.1:{port}/asyncgap/live" if port else ""
        table.add_row(srv.name, srv.url, web, live)
    console.out.print(table)
    if side_by_side:
        console.out.print(
            "[yellow]Side by side: swarms you start at the same time share this machine's CPUs, "
            "so their numbers are not comparable. Run one at a time to compare.[/]"
        )
