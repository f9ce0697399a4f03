"""What blocked each cell's event loop, and what its busy threads did, from the watchdog's files.

The sampler puts every worker's watch file (core/watchfile.py) into each sample, or None when a
file could not be read. A cell's figures are the difference between the first and last sample
of its steady window: seconds per call site, largest first, and their shares. When that
difference cannot be made (no file, or a file unreadable at either end) the cell carries no
blocking figures and says why, never a zero it did not measure.
"""

from pathlib import Path

from core import watchfile

MOST_SITES = 10  # call sites kept per cell, largest first
NO_DATA = "no blocking data"


def read_watches(metrics_dir: Path) -> dict[str, dict] | None:
    """Every worker's watch file as JSON, by pid; None if any of them cannot be read."""
    try:
        return {pid: watch.to_json() for pid, watch in watchfile.read_all(metrics_dir).items()}
    except watchfile.WatchFileError:
        return None


def _diff(last: watchfile.Sites, first: watchfile.Sites | None) -> dict[tuple[str, str], float]:
    out = {}
    for callee, sites in last.items():
        for site, seconds in sites.items():
            before = (first or {}).get(callee, {}).get(site, 0.0)
            if seconds - before > 0:
                out[(callee, site)] = seconds - before
    return out


def _ranked(totals: dict[tuple[str, str], float]) -> list[dict]:
    whole = sum(totals.values())
    ranked = sorted(totals.items(), key=lambda item: item[1], reverse=True)[:MOST_SITES]
    return [
        {"site": site, "callee": callee, "blocked_s": round(seconds, 3), "share": round(seconds / whole, 4)}
        for (callee, site), seconds in ranked
    ]


def _missing(why: str) -> dict:
    return {"blocking": None, "threads": None, "loop_blocked_share": None, "threads_busy_mean": None,
            "blocking_missing": f"{NO_DATA}: {why}"}  # fmt: skip


def figures(samples: list[dict]) -> dict:
    """The blocking figures of the samples of a steady window (the first and the last one)."""
    if len(samples) < 2:
        return _missing("fewer than two samples in the steady window")
    first, last = samples[0].get("watch"), samples[-1].get("watch")
    if first is None or last is None:
        return _missing("a watch file was unreadable or partial")
    if not last:
        return _missing("no watch file (the watchdog is off or the server is not instrumented)")
    try:
        return _figures(first, last)
    except (KeyError, TypeError, ValueError) as exc:
        return _missing(f"a watch file lacks a figure ({type(exc).__name__}: {exc})")


def _figures(first: dict[str, dict], last: dict[str, dict]) -> dict:
    loop: dict[tuple[str, str], float] = {}
    threads: dict[tuple[str, str], float] = {}
    blocked = busy = watched = 0.0
    for pid, now in last.items():
        before = first.get(pid)  # None: a worker started inside the window, from zero
        for totals, key in ((loop, "loop"), (threads, "threads")):
            for site, seconds in _diff(now[key], before and before[key]).items():
                totals[site] = totals.get(site, 0.0) + seconds
        blocked += now["loop_blocked_s"] - (before["loop_blocked_s"] if before else 0.0)
        busy += now["threads_busy_s"] - (before["threads_busy_s"] if before else 0.0)
        watched += now["watching_s"] - (before["watching_s"] if before else 0.0)
    if watched <= 0:
        return _missing("the watch files did not advance during the steady window")
    workers = len(last)
    return {
        "blocking": _ranked(loop),
        "threads": _ranked(threads),
        "loop_blocked_share": round(min(1.0, blocked / watched), 4),  # of each worker's time, averaged
        "threads_busy_mean": round(busy / (watched / workers), 2),  # all workers together
        "blocking_missing": "",
    }
