"""What the Ctrl-C tests share: a child that Ctrl-C can reach, and a clean-up that never leaks."""

import contextlib
import signal
import socket
import subprocess
from collections.abc import Iterable

import psutil


def restore_terminal_signals() -> None:
    """preexec_fn: SIGINT and SIGHUP back to their defaults in the child.

    A background job of a non-interactive shell (one way CI may start the tests) inherits
    SIGINT ignored, and Python then never raises KeyboardInterrupt; under nohup it inherits
    SIGHUP ignored, and the harness then keeps running, as it should. A user's Ctrl-C or
    closed terminal reaches a process that has not opted out, so that is what these tests
    must signal.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def interrupt(process: subprocess.Popen, sig: int, started: Iterable[psutil.Process], timeout: float):
    """Send `sig` and wait for (stdout, stderr). If it hangs: SIGKILL it and what it started,
    by PID, close its pipes, and fail, so one broken test cannot leak servers into the next."""
    process.send_signal(sig)
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        leftovers = [psutil.Process(process.pid), *started]
        for leftover in leftovers:
            with contextlib.suppress(psutil.NoSuchProcess):
                leftover.kill()
        psutil.wait_procs(leftovers, timeout=10)
        process.communicate()
        raise


def running(procs: Iterable[psutil.Process]) -> list[psutil.Process]:
    """Those still running: an orphan that exited stays a zombie where init does not reap it."""
    alive = []
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(proc)
    return alive


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0
