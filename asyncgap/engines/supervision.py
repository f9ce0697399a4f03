"""What a server's supervisor did to its workers during a cell, read from the server's log.

gunicorn kills a worker whose event loop misses its heartbeats for longer than --timeout
and boots a new one; uvicorn --workers replaces a worker that died. Requests in flight on
that worker fail, and the figures change: the dashboard shows these events beside the
failures, in plain words, rather than leaving a reader to guess.
"""

import re
from pathlib import Path

from asyncgap.core.records import WorkerEvent

# (pattern in the log, what it means). Left out: SIGTERM, which is how every server is stopped,
# and SIGABRT, which gunicorn sends only to the worker it just reported as a WORKER TIMEOUT.
EVENTS = (
    (
        re.compile(r"WORKER TIMEOUT \(pid:\d+\)"),
        "gunicorn killed a worker whose event loop was blocked past its {timeout} timeout",
    ),
    (re.compile(r"Worker \(pid:\d+\) was sent (?!SIGTERM|SIGABRT)(SIG\w+)"), "a worker was killed by {0}"),
    (re.compile(r"Worker \(pid:\d+\) exited with code (\d+)"), "a worker exited with code {0}"),
    (re.compile(r"Child process \[\d+\] died"), "a worker died and uvicorn started a new one"),
)
GUNICORN_BOOT = re.compile(r"Booting worker with pid: \d+")


def worker_events(log_path: Path, *, workers: int, timeout_s: int | None = None) -> list[WorkerEvent]:
    """Each kind of event seen, with its count and meaning, in the order first seen."""
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    timeout = f"{timeout_s} s" if timeout_s else "30 s"  # 30 s: gunicorn's default --timeout
    seen: dict[str, WorkerEvent] = {}
    for line in lines:
        for pattern, meaning in EVENTS:
            if match := pattern.search(line):
                what = meaning.format(*match.groups(), timeout=timeout)
                event = seen.setdefault(what, WorkerEvent(event=what, count=0, example=line.strip()))
                event.count += 1
    replaced = sum(1 for line in lines if GUNICORN_BOOT.search(line)) - workers
    if replaced > 0:
        seen["boot"] = WorkerEvent(event="gunicorn booted a replacement worker", count=replaced)
    return list(seen.values())


def describe(events: list[WorkerEvent]) -> str:
    """One line for the dashboard and the console: '2 x gunicorn killed ...; 2 x ...'."""
    return "; ".join(f"{e.count} x {e.event}" for e in events)
