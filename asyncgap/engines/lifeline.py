"""The harness's end of the pipe to its reaper: whatever must not outlive the harness is registered
there while it exists, so it is stopped or removed even if the harness is SIGKILLed.

The reaper (asyncgap.engines.reaper) is started on first use, once per harness process. Only the
harness holds the pipe's write end (it is not inheritable, so no child keeps it open): when
the harness ends, however it ends, the reaper reads end of file and cleans up what is still
registered. A clean exit has released everything first, and waits for the reaper to end.
"""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_lock = threading.Lock()
_reaper: subprocess.Popen | None = None  # waited for at exit
_pipe: int | None = None  # the write end


def _start_reaper() -> tuple[subprocess.Popen, int]:
    read_end, write_end = os.pipe()  # both non-inheritable (PEP 446)
    reaper = subprocess.Popen(
        [sys.executable, "-m", "asyncgap.engines.reaper"],
        stdin=read_end,
        stdout=subprocess.DEVNULL,  # never the harness's own pipes, which a caller may wait on
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a terminal's hangup or Ctrl-C reaches the harness, not it
    )
    os.close(read_end)
    atexit.register(_close)
    return reaper, write_end


def _close() -> None:
    """At a clean exit, close the pipe now and let the reaper finish what was left, if anything."""
    os.close(_pipe)
    _reaper.wait()


def _tell(line: str) -> None:
    global _reaper, _pipe
    with _lock:
        if _pipe is None:
            _reaper, _pipe = _start_reaper()
        os.write(_pipe, f"{line}\n".encode())  # one short write: atomic on a pipe


def hold_group(pgid: int) -> None:
    """From now on the reaper stops this process group if the harness dies."""
    _tell(f"+group {pgid}")


def release_group(pgid: int) -> None:
    """The group is stopped: the reaper must not signal it (its id may be reused)."""
    _tell(f"-group {pgid}")


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    """A temporary folder, removed on leaving the block, or by the reaper if the harness dies first."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    _tell(f"+dir {path}")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        _tell(f"-dir {path}")
