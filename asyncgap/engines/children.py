"""Every child the harness runs is started, bounded and stopped here, the same way.

A child gets its own session (a terminal's signals reach only the harness, which stops its
children itself), stdin from /dev/null, stdout and stderr in its log, optionally a set of
CPUs, and a place in the reaper's registry for as long as its process group may live, so it
cannot outlive the harness (see asyncgap.engines.lifeline).
"""

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import TypeVar

from asyncgap.engines import lifeline
from asyncgap.engines.reaper import signal_group

STOP_GRACE_S = 5.0
T = TypeVar("T")


class Overrun(RuntimeError):
    """A child still running at its time limit; its whole process group was stopped."""


def spawn(
    argv: list[str],
    *,
    log_path: Path,
    cpus: set[int] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen:
    """Start `argv` in a new session (in `cwd`), its output in `log_path`, pinned to `cpus` if given."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=cwd,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )
    lifeline.hold_group(process.pid)
    return process


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM the child's process group, SIGKILL what is left after the grace period."""
    signal_group(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(STOP_GRACE_S)
    signal_group(process.pid, signal.SIGKILL)  # stragglers: workers, pool children
    process.wait()
    lifeline.release_group(process.pid)


def watch(
    process: subprocess.Popen,
    *,
    timeout: float,
    sample: Callable[[], T] | None = None,
    every_s: float = 0.5,
    progress: Callable[[], object] | None = None,
) -> list[T]:
    """Wait for the child to exit within `timeout` s, calling `sample` every `every_s` meanwhile;
    with `progress`, within `timeout` s of the last time it read otherwise (checked as often).

    Returns the samples. Its process group is stopped either way (a clean exit may leave
    stragglers); Overrun if it was still running at the limit.
    """
    deadline = time.monotonic() + timeout
    seen = progress() if progress is not None else None
    polled = sample is not None or progress is not None
    samples: list[T] = []
    try:
        while True:
            if sample is not None:
                samples.append(sample())
            if progress is not None and (now := progress()) != seen:
                seen, deadline = now, time.monotonic() + timeout
            left = deadline - time.monotonic()
            try:
                process.wait(min(left, every_s) if polled else left)
                return samples
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    since = " without progress" if progress is not None else ""
                    raise Overrun(f"still running after {timeout:g} s{since}; stopped") from None
    finally:
        stop_group(process)


def run(
    argv: list[str],
    *,
    log_path: Path,
    timeout: float,
    cpus: set[int] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    progress_path: Path | None = None,
) -> int:
    """Run `argv` to its end within `timeout` s (else Overrun); returns its exit status. With
    `progress_path`, a file the child writes a line to as each step begins, within `timeout` s of
    the file's last growth: a child of one bounded step after another, as many as its input has."""
    process = spawn(argv, log_path=log_path, cpus=cpus, env=env, cwd=cwd)
    watch(process, timeout=timeout, progress=(lambda: _size(progress_path)) if progress_path else None)
    return process.returncode


def _size(path: Path) -> int:
    """A file's size; 0 before it exists."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
