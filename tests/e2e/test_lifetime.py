"""Nothing the harness starts outlives it: after SIGHUP (also a really closed terminal) or SIGKILL
of a running `asyncgap run`, `ui` or `bench`, no process it started is alive 5 s later, its ports
are free and its temporary folders are gone."""

import fcntl
import os
import pty
import signal
import subprocess
import termios
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psutil
import pytest

from asyncgap.core.matrix import load
from asyncgap.ui import WEB_PORT
from tests.cli import ASYNCGAP
from tests.e2e.processes import interrupt, port_free, restore_terminal_signals, running
from tests.paths import ROOT

pytestmark = pytest.mark.e2e

GONE_WITHIN_S = 5.0
READY_WITHIN_S = 90.0
MATRIX = load()
SETUP_PORTS = [setup.port for setup in MATRIX.setups.values()]
RUN_ARGS = ["run", "--setups", "uvicorn-1w", "--scenarios", "sleep", "--variants", "sync", "--duration", "30"]
VERBS = {  # arguments (the run folder is added) and the ports that show it is under way
    "run": (RUN_ARGS, [MATRIX.upstream.port, MATRIX.setups["uvicorn-1w"].port]),
    "ui": (["ui"], [MATRIX.upstream.port, *SETUP_PORTS, WEB_PORT]),
    "bench": (["bench"], [MATRIX.upstream.port, MATRIX.setups["uvicorn-1w"].port]),
    # a run with its own PostgreSQL cluster: the postmaster and its backends go too, and its folder
    "run-pg": (
        [*RUN_ARGS[:3], "--scenarios", "db-pg", *RUN_ARGS[5:]],
        [MATRIX.upstream.port, MATRIX.setups["uvicorn-1w"].port],
    ),
}


def still_running_after(procs: set[psutil.Process], seconds: float) -> list[psutil.Process]:
    deadline = time.monotonic() + seconds
    while (alive := running(procs)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


def runs(module: str, procs: set[psutil.Process]) -> bool:
    """Whether one of them runs `python -m MODULE`."""
    for proc in running(procs):
        with suppress(psutil.Error):
            if proc.cmdline()[1:3] == ["-m", module]:
                return True
    return False


@contextmanager
def harness(
    verb: str, tmp_path: Path, *, while_starting: Callable[[], None] = lambda: None, **popen
) -> Iterator[tuple[subprocess.Popen, set[psutil.Process]]]:
    """`python -m asyncgap VERB` in a session of its own (so only it is signalled), SIGINT at its
    default and a temp folder of its own; yielded once its ports listen and Locust runs, with
    every process it started. Whatever happens, what still runs at the end is killed, by PID."""
    args, ports = VERBS[verb]
    (tmp_path / "tmp").mkdir()
    out = [] if verb == "ui" else ["--out", str(tmp_path / "out")]
    process = subprocess.Popen(
        [*ASYNCGAP, *args, *out],
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp_path / "tmp")},
        start_new_session=True,
        text=True,
        **{
            "preexec_fn": restore_terminal_signals,
            "stdout": subprocess.PIPE,
            "stderr": subprocess.PIPE,
            **popen,
        },
    )
    itself = psutil.Process(process.pid)
    started: set[psutil.Process] = set()
    try:
        deadline = time.monotonic() + READY_WITHIN_S
        while not (all(not port_free(p) for p in ports) and runs("locust", started)):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{verb} never got under way: exit {process.poll()}")
            while_starting()
            time.sleep(0.2)
            started |= set(itself.children(recursive=True))
        assert runs("asyncgap.engines.reaper", started)
        yield process, started
    finally:
        for leftover in running({itself, *started}):
            leftover.kill()
        process.communicate(timeout=30)


def assert_nothing_left(verb: str, started: set[psutil.Process], tmp_path: Path) -> None:
    """Within 5 s: no process it started runs (the reaper included), its ports are free, its
    temporary folders are gone. Called before `harness` kills leftovers, or it would prove nothing."""
    alive = still_running_after(started, GONE_WITHIN_S)
    assert alive == [], [" ".join(p.cmdline()) for p in alive]
    assert [p for p in VERBS[verb][1] if not port_free(p)] == []
    assert list((tmp_path / "tmp").iterdir()) == []  # scratch and metrics folders


@pytest.mark.parametrize("verb", ["run", "ui", "bench"])
def test_sighup_stops_everything_and_exits_129(tmp_path, verb):
    with harness(verb, tmp_path) as (process, started):
        out, err = interrupt(process, signal.SIGHUP, started, timeout=30)
        assert process.returncode == 129, err[-1500:] + out[-500:]
        assert_nothing_left(verb, started, tmp_path)
    if verb == "run":
        assert "interrupted: keeping the 0 finished cell(s)" in err
        assert (tmp_path / "out" / "summary.json").exists()


def test_closing_its_terminal_stops_the_run_and_keeps_its_summary(tmp_path):
    """A real hangup: the terminal goes away (writes then fail with EIO) and the kernel sends SIGHUP."""
    screen, side = pty.openpty()
    os.set_blocking(screen, False)

    def on_the_terminal() -> None:  # fd 1 is the pty's side: make it the session's terminal
        restore_terminal_signals()
        fcntl.ioctl(1, termios.TIOCSCTTY, 0)

    def read_the_screen() -> None:  # so the harness never blocks on a full terminal
        with suppress(BlockingIOError):
            while os.read(screen, 65536):
                pass

    with harness(
        "run",
        tmp_path,
        while_starting=read_the_screen,
        preexec_fn=on_the_terminal,
        stdin=subprocess.DEVNULL,
        stdout=side,
        stderr=side,
    ) as (process, started):
        os.close(side)
        read_the_screen()
        os.close(screen)  # the terminal is closed: the kernel hangs it up
        assert process.wait(timeout=30) == 129
        assert_nothing_left("run", started, tmp_path)
    assert (tmp_path / "out" / "summary.json").exists()


@pytest.mark.parametrize("verb", ["run", "ui", "bench", "run-pg"])
def test_after_sigkill_the_reaper_stops_everything_within_5_s(tmp_path, verb):
    with harness(verb, tmp_path) as (process, started):
        process.kill()
        process.wait()
        assert_nothing_left(verb, started, tmp_path)
