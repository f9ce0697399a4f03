"""What the Ctrl-C tests share: a child that Ctrl-C can reach, and a clean-up that never leaks."""

import contextlib
import signal
import socket

import psutil


def restore_ctrl_c() -> None:
    """preexec_fn: SIGINT back to its default in the child.

    A background job of a non-interactive shell (one way CI may start the tests) inherits
    SIGINT ignored, and Python then never raises KeyboardInterrupt. A user's Ctrl-C reaches
    a process that has not opted out, so that is what these tests must signal.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def kill_all(processes: list[psutil.Process]) -> None:
    """Last resort when a test failed: SIGKILL, by PID, what it saw started."""
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(processes, timeout=10)


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0
