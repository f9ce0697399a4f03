"""Signals during a run become an exception with the exit status (128 + the signal), so every
`finally` and context manager stops what it started, and the run keeps the cells it finished."""

import os
import signal
import stat


class Interrupted(BaseException):  # like KeyboardInterrupt: no `except Exception` may swallow it
    """SIGINT, SIGTERM or SIGHUP during a run; carries the exit status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def raise_interrupted(signum, _frame) -> None:
    raise Interrupted(128 + signum)


def hung_up(signum, frame) -> None:
    """The terminal is gone: output still to come goes to /dev/null instead of failing with EIO
    (a file or pipe it was redirected to stays), and a second hangup cannot cut the clean-up short."""
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        if stat.S_ISCHR(os.fstat(fd).st_mode):  # a terminal (isatty fails once it has hung up)
            os.dup2(devnull, fd)
    os.close(devnull)
    raise_interrupted(signum, frame)


def status(exc: BaseException) -> int:
    return exc.status if isinstance(exc, Interrupted) else 128 + signal.SIGINT
