"""The pace of the server's cores: a fixed piece of Python timed on them, again and again.

On a virtual machine the same work does not cost the same CPU time from one second to the next:
here a reference loop took 10 ms of CPU in some seconds and 17 ms in others, in phases of one
to five seconds, each core on its own, and every process on a core alike (docs/findings.md).
A calibration burst of one second catches one phase; a load of twenty averages several. So a
run times REFERENCE_STEPS of Python on the server's CPUs every PERIOD_S, from a process of its
own (`python -m asyncgap.engines.pace LOG`), and appends its running totals to LOG:

    <units timed> <their CPU ns>

Any two lines give the pace between them (CPU ms a unit): each calibration batch and burst keeps
its own (asyncgap/cell/verify.py), and the pace over the last minute before the load (`recent_ms`)
is the one the model expects the load to run at: a minute averages many phases, as a load does,
where a burst's second is one of them (asyncgap/cell/model.py). A load's own pace is measured beside
its other figures (asyncgap/cell/measure.py), and a cell whose load ran at another pace than the
one expected says so (asyncgap/cell/explain.py). Each timed unit follows an untimed one: straight out
of idle a unit read 0.66 ms on average where on a busy core it read 0.52, and with one before
it 0.50, so the pace is the machine's, not whether the server kept the core busy (a server
falling idle pays for waking, which calibration measures hot to avoid). It costs the server's
cores about 1%.
"""

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from asyncgap.engines import children

REFERENCE_STEPS = 10_000  # about 0.6 to 1 ms of CPU on this kind of machine
PERIOD_S = 0.1
TAIL_BYTES = 4096  # the end of the log holds the latest line
RECENT_UNITS = 600  # the last minute's units, at one every PERIOD_S
LINE_BYTES = 32  # at most, a line of the log


class Totals(NamedTuple):
    """The timer's running totals at a moment: units timed and their CPU seconds."""

    units: int
    cpu_s: float


def reference_unit() -> int:
    """The work timed: the same loop of integer arithmetic every time (no allocation to speak of,
    no I/O), as Python runs an app's own code."""
    x = 0
    for i in range(REFERENCE_STEPS):
        x = (x * 31 + i) % 1_000_003
    return x


def pace_ms(before: Totals | None, after: Totals | None) -> float | None:
    """CPU ms a unit took between two readings; None without a unit timed between them."""
    if before is None or after is None or after.units <= before.units:
        return None
    return (after.cpu_s - before.cpu_s) * 1000 / (after.units - before.units)


def read(log: Path | None) -> Totals | None:
    """The latest totals in the log; None without a log or a line yet."""
    totals = _latest(log, TAIL_BYTES)
    return totals[-1] if totals else None


def recent_ms(log: Path | None, units: int = RECENT_UNITS) -> float | None:
    """The pace over the last `units` units the log holds, or over all of them when it holds fewer
    (None without a log or two lines)."""
    totals = _latest(log, (units + 2) * LINE_BYTES)
    if not totals:
        return None
    first = next(t for t in totals if t.units >= totals[-1].units - units)
    return pace_ms(first, totals[-1])


def _latest(log: Path | None, size: int) -> list[Totals]:
    """The whole lines within the last `size` bytes of the log, oldest first (none without it)."""
    if log is None:
        return []
    try:
        with log.open("rb") as file:
            start = max(file.seek(0, os.SEEK_END) - size, 0)
            file.seek(start)
            tail = file.read()
    except FileNotFoundError:
        return []
    # a line cut by the seek before, and one the timer may be writing after
    lines = tail[: tail.rfind(b"\n") + 1].splitlines()[0 if start == 0 else 1 :]
    return [
        Totals(int(fields[0]), int(fields[1]) / 1e9) for line in lines if len(fields := line.split()) == 2
    ]


def read_after(log: Path | None, since: Totals | None, within_s: float = 3 * PERIOD_S) -> Totals | None:
    """The latest totals once a unit has been timed since `since`, waiting up to `within_s` for
    the timer: a batch of fast calls can end within one of its periods, and would have no pace."""
    deadline = time.monotonic() + within_s
    while True:
        totals = read(log)
        if since is None or totals is None or totals.units > since.units or time.monotonic() >= deadline:
            return totals
        time.sleep(PERIOD_S / 4)


def time_units(log: Path, period_s: float = PERIOD_S) -> None:
    """Time the reference unit every `period_s`, after an untimed one, appending the totals to
    `log`, until killed."""
    units, cpu_ns = 0, 0
    with log.open("a", buffering=1) as out:
        while True:
            reference_unit()
            started = time.thread_time_ns()
            reference_unit()
            cpu_ns += time.thread_time_ns() - started
            units += 1
            out.write(f"{units} {cpu_ns}\n")
            time.sleep(period_s)


@contextmanager
def timing(log: Path, cpus: set[int] | None) -> Iterator[Path]:
    """The timer running on `cpus` (the server's) for as long as the block lasts; its log's path."""
    argv = [sys.executable, "-m", "asyncgap.engines.pace", str(log)]
    process = children.spawn(argv, log_path=log.with_suffix(".err"), cpus=cpus)
    try:
        yield log
    finally:
        children.stop_group(process)


if __name__ == "__main__":
    time_units(Path(sys.argv[1]))
