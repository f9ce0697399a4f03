"""What blocked each cell's event loop, and what its busy threads did, from the watchdog's files.

The sampler puts every worker's watch file (asyncgap/watch/watchfile.py) into each sample, or None when a
file could not be read. A cell's figures are the difference between the first and last sample
of its steady window: seconds per call site, largest first, and their shares. When that
difference cannot be made (no file, or a file unreadable at either end) the cell carries no
blocking figures and says why, never a zero it did not measure.
"""

from pathlib import Path

from asyncgap.core.records import BlockingFigures, BlockingSite
from asyncgap.watch import watchfile

MOST_SITES = 10  # call sites kept per cell, largest first
MOST_CALLERS = 5  # a site's callers kept, largest first
NO_DATA = "no blocking data"


def read_watches(metrics_dir: Path) -> dict[str, dict] | None:
    """Every worker's watch file as JSON, by pid; None if any of them cannot be read."""
    try:
        return {pid: watch.to_json() for pid, watch in watchfile.read_all(metrics_dir).items()}
    except watchfile.WatchFileError:
        return None


def loop_blocked(metrics_dir: Path) -> dict[str, tuple[float, float]] | None:
    """Each worker's (written_at, loop_blocked_s) by pid, for calibration's reading of a batch;
    None if any file cannot be read."""
    try:
        watches = watchfile.read_all(metrics_dir)
    except watchfile.WatchFileError:
        return None
    return {pid: (watch.written_at, watch.loop_blocked_s) for pid, watch in watches.items()}


def blocked_between(before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]]) -> float:
    """Seconds the event loops were blocked between two readings, over the workers in both: one
    that started or was replaced between them has no total to diff."""
    return sum(max(after[pid][1] - before[pid][1], 0.0) for pid in after.keys() & before.keys())


def _diff(last: watchfile.Sites, first: watchfile.Sites | None) -> dict[tuple[str, str], float]:
    out = {}
    for callee, sites in last.items():
        for site, seconds in sites.items():
            before = (first or {}).get(callee, {}).get(site, 0.0)
            if seconds - before > 0:
                out[(callee, site)] = seconds - before
    return out


_ADDED = {
    "executor_busy_s",
    "executor_total",
    "executor",
    "loop_states",
    "threads_states",
    "executor_states",
    "loop_callers",
}


def _get(watch: dict, key: str, empty: object) -> object:
    """A watch file's figure; those added later are empty in older files, the others must be there."""
    return watch.get(key, empty) if key in _ADDED else watch[key]


def _summed(first: dict[str, dict], last: dict[str, dict], key: str) -> dict[tuple[str, str], float]:
    """One map of the watch files (`loop`, `threads_states`, ...) over the window, all workers summed;
    a worker started inside the window counts from zero, a map older files lack is empty."""
    totals: dict[tuple[str, str], float] = {}
    for pid, now in last.items():
        before = first.get(pid)
        for item, seconds in _diff(_get(now, key, {}), before and _get(before, key, {})).items():
            totals[item] = totals.get(item, 0.0) + seconds
    return totals


def _doing(states: dict[str, float]) -> dict:
    """What a site's samples mostly did, and the share of its classified time they did it."""
    if not states:
        return {}
    doing, seconds = max(states.items(), key=lambda item: item[1])
    state, _, innermost = doing.partition(" ")
    return {"state": state, "innermost": innermost, "state_share": round(seconds / sum(states.values()), 4)}


def _by_site(summed: dict[tuple[str, str], float]) -> dict[str, dict[str, float]]:
    """A `*_states` or `loop_callers` map regrouped: site key -> item -> seconds."""
    out: dict[str, dict[str, float]] = {}
    for (key, item), seconds in summed.items():
        out.setdefault(key, {})[item] = seconds
    return out


def _callers(callers: dict[str, float], seconds: float) -> dict[str, float]:
    """A site's callers, largest first, each with the share of the site's time it was on the stack."""
    ranked = sorted(callers.items(), key=lambda item: item[1], reverse=True)[:MOST_CALLERS]
    return {caller: round(min(1.0, held / seconds), 4) for caller, held in ranked}


def _ranked(
    totals: dict[tuple[str, str], float],
    states: dict[tuple[str, str], float],
    callers: dict[tuple[str, str], float] | None = None,
) -> list[BlockingSite]:
    whole = sum(totals.values())
    by_state, by_caller = _by_site(states), _by_site(callers or {})
    ranked = sorted(totals.items(), key=lambda item: item[1], reverse=True)[:MOST_SITES]
    return [
        BlockingSite(
            site=site,
            callee=callee,
            blocked_s=round(seconds, 3),
            share=round(seconds / whole, 4),
            callers=_callers(by_caller.get(watchfile.key(callee, site), {}), seconds),
            **_doing(by_state.get(watchfile.key(callee, site), {})),
        )
        for (callee, site), seconds in ranked
    ]


def _missing(why: str) -> BlockingFigures:
    return BlockingFigures(blocking_missing=f"{NO_DATA}: {why}")  # every figure None, never a zero


def figures(samples: list[dict]) -> BlockingFigures:
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


def _delta(first: dict[str, dict], last: dict[str, dict], key: str) -> float:
    return sum(
        _get(now, key, 0.0) - (_get(first[pid], key, 0.0) if pid in first else 0.0)
        for pid, now in last.items()
    )


def _figures(first: dict[str, dict], last: dict[str, dict]) -> BlockingFigures:
    watched = _delta(first, last, "watching_s")
    if watched <= 0:
        return _missing("the watch files did not advance during the steady window")
    per_worker = watched / len(last)
    ranked = {
        key: _ranked(
            _summed(first, last, key),
            _summed(first, last, f"{key}_states"),
            _summed(first, last, "loop_callers") if key == "loop" else None,
        )
        for key in watchfile.POOLS
    }
    executor_workers = sum(int(_get(now, "executor_total", 0)) for now in last.values())
    return BlockingFigures(
        blocking=ranked["loop"],
        threads=ranked["threads"],
        executor=ranked["executor"],
        loop_blocked_share=round(min(1.0, _delta(first, last, "loop_blocked_s") / watched), 4),  # averaged
        threads_busy_mean=round(
            _delta(first, last, "threads_busy_s") / per_worker, 2
        ),  # all workers together
        executor_busy_mean=round(_delta(first, last, "executor_busy_s") / per_worker, 2),
        executor_workers=executor_workers or None,
    )
