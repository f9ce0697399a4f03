"""Locust's final stats + the harness's samples -> one cell's (or each level's) measured figures;
repeats merged; sweeps seen level by level."""

import csv
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import TypeVar

from core import interval
from core.names import endpoint_key
from loadtest import blocking, model
from loadtest.records import CellResult, FailureReason, Level, Model, ResultsError, WorkerEvent
from loadtest.swarm import CSV_PREFIX, JSON_NAME, LEVELS_NAME

Row = TypeVar("Row", FailureReason, WorkerEvent)

AGGREGATED = "Aggregated"
GENERATOR_BOUND_CORES = 0.85  # a Locust process uses one core: near it, it is the bottleneck
MIN_WINDOW_S = 2  # whole steady seconds needed to measure rps over a fixed window
MOST_REASONS = 5  # failure reasons kept per cell, most frequent first
FIGURES = ("requests", "failures", "rps", "mean_ms", "p50_ms", "p95_ms", "p99_ms")
LEVEL_FIGURES = ("requests", "failures", "rps", "rps_ci95_pct", "p50_ms", "p95_ms", "predicted_rps",
                 "measured_over_predicted", "server_cpu_ms_per_request", "connections_per_worker",
                 "generator_bound", "blocking", "loop_blocked_share",
                 )  # what a sweep keeps of each level's record  # fmt: skip
CELL_IDENTITY = {"setup", "scenario", "variant", "warmup_s", "repeat", "dir", "status", "reason",
                 "error_file"}  # what a level of a sweep shares with its cell


def _percentile(times: Counter, count: int, percent: float) -> float | None:
    """Locust's own percentile over its rounded response-time buckets (stats.py), for the same figures."""
    if not count:
        return None
    wanted = int(count * percent)
    seen = 0
    for time_ms in sorted(times, reverse=True):
        seen += times[time_ms]
        if count - seen <= wanted:
            return time_ms
    return 0.0


def _rate(entries: list[dict], window: range) -> float:
    """Requests per second over whole seconds fixed in advance (the steady window), not up to the
    last completion as Locust's own rps: when completions come in waves (users that started
    together, slow calls), a window ending on a completion counts one wave too many, and a
    short cell of 1 s calls read 14% high that way."""
    if len(window) >= MIN_WINDOW_S:
        return sum(int(e["num_reqs_per_sec"].get(str(t), 0)) for e in entries for t in window) / len(window)
    count = sum(e["num_requests"] for e in entries)  # too short to hold whole seconds: Locust's way
    start = min(e["start_time"] for e in entries)
    end = max((e["last_request_timestamp"] or 0) for e in entries)
    return count / (end - start) if end > start else 0.0


def _figures(method: str, entries: list[dict], window: range) -> dict:
    count = sum(e["num_requests"] for e in entries)
    times: Counter = Counter()
    for e in entries:
        times.update({float(ms): n for ms, n in e["response_times"].items()})
    return {
        "method": method,
        "requests": count,
        "failures": sum(e["num_failures"] for e in entries),
        "rps": _rate(entries, window),
        "mean_ms": sum(e["total_response_time"] for e in entries) / count if count else None,
        "p50_ms": _percentile(times, count, 0.50),
        "p95_ms": _percentile(times, count, 0.95),
        "p99_ms": _percentile(times, count, 0.99),
    }


def _entries(cell_dir: Path) -> list[dict]:
    path = cell_dir / JSON_NAME
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ResultsError(f"cannot read {path}: {exc}") from None


def read_stats(cell_dir: Path) -> dict[str, dict]:
    """Locust's final stats per endpoint name, and 'Aggregated', from its --json-file.

    Not from <prefix>_stats.csv: Locust rewrites that file once a second and not at exit, so
    it misses the run's last second (hundreds of requests in a short cell).
    """
    return _stats(_entries(cell_dir))


def _stats(entries: list[dict]) -> dict[str, dict]:
    """Figures per endpoint name, and 'Aggregated', of Locust's serialized stats entries."""
    window = interval.steady_window(_per_second(entries))
    stats = {endpoint_key(e["method"], e["name"]): _figures(e["method"], [e], window) for e in entries}
    if entries:
        stats[AGGREGATED] = _figures("", entries, window)
    return stats


def _per_second(entries: list[dict]) -> Counter:
    per_second: Counter = Counter()
    for e in entries:
        per_second.update({int(t): n for t, n in e["num_reqs_per_sec"].items()})
    return per_second


def steady_seconds(cell_dir: Path) -> list[int]:
    """Requests finished in each whole second after warm-up (first and last, partial, left out)."""
    return interval.steady_counts(_per_second(_entries(cell_dir)))


def read_failures(cell_dir: Path, most: int = MOST_REASONS) -> list[dict]:
    """Locust's failure reasons, most frequent first: what the dashboard shows beside a count."""
    path = cell_dir / f"{CSV_PREFIX}_failures.csv"
    if not path.exists():
        return []
    with path.open(newline="") as f:
        rows = [
            {"name": r["Name"], "error": r["Error"], "count": int(r["Occurrences"])}
            for r in csv.DictReader(f)
        ]
    return _most_frequent(rows, most)


def _most_frequent(reasons: list[dict], most: int = MOST_REASONS) -> list[dict]:
    return sorted(reasons, key=lambda r: r["count"], reverse=True)[:most]


def steady_rate(samples: list[dict], key: str, since_s: float) -> float:
    """Rate of a cumulative counter (CPU seconds) over the samples taken after `since_s`."""
    steady = [s for s in samples if s["t"] >= since_s] or samples
    if len(steady) < 2 or steady[-1]["t"] <= steady[0]["t"]:
        return 0.0
    return (steady[-1][key] - steady[0][key]) / (steady[-1]["t"] - steady[0]["t"])


def connection_split(samples: list[dict], since_s: float) -> list[int]:
    """Connections per worker in steady state (the sample holding the most), busiest first."""
    steady = [s["connections"] for s in samples if s["t"] >= since_s and s["connections"]]
    if not steady:
        return []
    return sorted(max(steady, key=lambda c: sum(c.values())).values(), reverse=True)


def worst_per_sample(samples: list[dict], key: str) -> list[float]:
    return [max(s[key].values(), default=0.0) for s in samples]


def cell_figures(*, cell_dir: Path, samples: list[dict], warmup_s: float, generator_cores: int = 1) -> dict:
    """What one cell measured: Locust's figures, the server's CPU and connections, the loop's lag,
    the busy thread tokens and the generator check. No prediction: that was made before."""
    since = warmup_s + 1.0  # spawning takes up to a second at spawn rate = users
    return _measured(_entries(cell_dir), samples, since_s=since, failure_reasons=read_failures(cell_dir),
                     generator_cores=generator_cores)  # fmt: skip


def read_levels(cell_dir: Path) -> dict[int, dict]:
    """A sweep's saved levels (locustfiles/shapes.py), by their users: stats entries and errors."""
    path = cell_dir / LEVELS_NAME
    try:
        return {level["users"]: level for level in json.loads(path.read_text())}
    except (OSError, json.JSONDecodeError) as exc:
        raise ResultsError(f"cannot read {path}: {exc}") from None


def level_figures(
    *, cell_dir: Path, samples: list[dict], levels: tuple[int, ...], generator_cores: int = 1
) -> list[dict]:
    """What each level of a sweep measured, as cell_figures does for a cell: its own stats (its
    warm-up discarded) and the samples taken within its steady seconds."""
    saved = read_levels(cell_dir)
    figures = []
    for users in levels:
        if users not in saved:
            raise ResultsError(f"the level of {users} users saved no stats (the swarm ended early)")
        entries = saved[users]["entries"]
        window = interval.steady_window(_per_second(entries))  # whole seconds since the epoch
        inside = [s for s in samples if window.start <= s["at"] < window.stop]
        reasons = _most_frequent([{"name": e["name"], "error": e["error"], "count": e["occurrences"]}
                                  for e in saved[users]["errors"].values()])  # fmt: skip
        figures.append(_measured(entries, inside, since_s=0.0, failure_reasons=reasons,
                                 generator_cores=generator_cores))  # fmt: skip
    return figures


def _measured(
    entries: list[dict], samples: list[dict], *, since_s: float, failure_reasons: list[dict],
    generator_cores: int = 1,
) -> dict:
    """Figures of Locust's stats entries beside the samples of the same time, steady from `since_s`;
    the generator is the bottleneck near the `generator_cores` its processes can use."""
    stats = _stats(entries)
    if AGGREGATED not in stats:
        raise ResultsError("no request finished after warm-up (Locust recorded none)")
    total = stats.pop(AGGREGATED)
    rps = total["rps"]
    server_cores_busy = steady_rate(samples, "server_cpu_s", since_s)
    generator_cores_busy = steady_rate(samples, "generator_cpu_s", since_s)
    lags = worst_per_sample(samples, "lag_s")
    seconds = interval.steady_counts(_per_second(entries))
    halfwidth = interval.relative_halfwidth(seconds)
    return {
        **{k: total[k] for k in FIGURES},
        "steady_s": len(seconds),
        "rps_ci95_pct": round(100 * halfwidth, 2) if halfwidth is not None else None,
        "connections_per_worker": connection_split(samples, since_s),
        "server_cores_busy": round(server_cores_busy, 3),
        "server_cpu_ms_per_request": round(1000 * server_cores_busy / rps, 3) if rps else None,
        "generator_cores_busy": round(generator_cores_busy, 3),
        "generator_bound": generator_cores_busy >= GENERATOR_BOUND_CORES * generator_cores,
        "loop_lag_max_ms": round(max(lags, default=0.0) * 1000, 1),
        "loop_lag_median_ms": round(statistics.median(lags) * 1000, 1) if lags else None,
        "tokens_busy_max": max(worst_per_sample(samples, "tokens_busy"), default=0.0),
        "failure_reasons": failure_reasons,
        "endpoints": stats,
        **blocking.figures([s for s in samples if s["t"] >= since_s]),
        **db_figures(samples, since_s, rps),
    }


def db_figures(samples: list[dict], since_s: float, rps: float) -> dict:
    """The database server's CPU under the load, beside the service's (PostgreSQL cells only)."""
    if not any(s.get("db_cpu_s") for s in samples):
        return {}
    busy = steady_rate(samples, "db_cpu_s", since_s)
    per_request = round(1000 * busy / rps, 3) if rps else None
    return {"db_cores_busy": round(busy, 3), "db_cpu_ms_per_request": per_request}


def merge_repeats(cells: list[CellResult]) -> list[CellResult]:
    """One cell per identity: the repeat with the median rps, its rps replaced by the mean.

    Percentiles and the other figures stay those of that one repeat (percentiles do not
    average); rps_repeats keeps the spread. Requests, failures, their reasons and the
    workers' events are totals over every repeat: trouble in any of them must show.
    """
    groups: dict[tuple, list[CellResult]] = {}
    for cell in cells:
        groups.setdefault(cell.identity, []).append(cell)
    merged = []
    for group in groups.values():
        ok = [c for c in group if c.ok]
        if not ok:
            merged.append(group[0])
            continue
        middle = sorted(ok, key=lambda c: c.rps)[len(ok) // 2]
        rps = statistics.fmean(c.rps for c in ok)
        predicted = middle.predicted_rps
        merged.append(middle.model_copy(update={
            "rps": rps, "repeats": len(ok), "rps_repeats": [c.rps for c in ok],
            "measured_over_predicted": round(rps / predicted, 3) if predicted else None,
            "requests": sum(c.requests for c in ok), "failures": sum(c.failures for c in ok),
            "failure_reasons": _summed([r for c in ok for r in c.failure_reasons], ("name", "error")),
            "server_events": _summed([e for c in ok for e in c.server_events], ("event",)),
        }))  # fmt: skip
    return merged


def _summed(rows: list[Row], key: tuple[str, ...]) -> list[Row]:
    """Counted rows (failure reasons, worker events) of every repeat, added up by `key`: what
    went wrong in any repeat must show in the merged cell, not only in the median one."""
    total: dict[tuple, Row] = {}
    for row in rows:
        group = tuple(getattr(row, k) for k in key)
        seen = total.get(group)
        total[group] = row if seen is None else seen.model_copy(update={"count": seen.count + row.count})
    return sorted(total.values(), key=lambda r: r.count, reverse=True)


def steady_rps_samples(run_dir: Path, cell: CellResult) -> list[float]:
    """Requests/s of each steady second of a cell: the per-second samples compare falls back on.
    A sweep's figures, and so its seconds, are those of its last level (one level, in by_level)."""
    if not cell.levels:
        return [float(n) for n in steady_seconds(run_dir / cell.folder)]
    saved = read_levels(run_dir / cell.folder)[cell.levels[-1].users]
    return [float(n) for n in interval.steady_counts(_per_second(saved["entries"]))]


def by_level(cells: list[CellResult]) -> list[CellResult]:
    """Each sweep as one cell per level, single cells as they are: what compare pairs up and the
    tables list. A level's cell has its figures, its model (the cell's at its users and measured
    connection split) and nothing it did not measure (no p99, no per-endpoint figures)."""
    out = []
    for cell in cells:
        if not cell.levels:
            out.append(cell)
            continue
        for level in cell.levels:
            out.append(CellResult(
                **cell.model_dump(include=CELL_IDENTITY), **level.model_dump(include=set(LEVEL_FIGURES)),
                users=level.users,
                duration_s=cell.duration_s and cell.duration_s / len(cell.levels),
                model=cell.model and _level_model(cell.model, level), levels=[level],
                locust_report=cell.locust_report if level is cell.levels[-1] else None,  # its last level
            ))  # fmt: skip
    return out


def _level_model(cell_model: Model, level: Level) -> Model:
    """The cell's model at the level's users, as record() made it for the level."""
    split = level.connections_per_worker or model.even_split(level.users, cell_model.inputs.workers)
    inputs = cell_model.inputs.model_copy(update={"users": level.users, "connections": split})
    return model.recompute(inputs).model_copy(update={"reason": level.reason})
