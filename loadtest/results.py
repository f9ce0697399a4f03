"""Locust's final stats + the harness's samples -> one cell's measured figures; repeats merged."""

import csv
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import TypeVar

from core import interval
from core.names import endpoint_key
from loadtest.records import CellResult, FailureReason, ResultsError, WorkerEvent
from loadtest.swarm import CSV_PREFIX, JSON_NAME

Row = TypeVar("Row", FailureReason, WorkerEvent)

AGGREGATED = "Aggregated"
GENERATOR_BOUND_CORES = 0.85  # Locust is one process: near one core it is the bottleneck
MIN_WINDOW_S = 2  # whole steady seconds needed to measure rps over a fixed window
FIGURES = ("requests", "failures", "rps", "mean_ms", "p50_ms", "p95_ms", "p99_ms")


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
    entries = _entries(cell_dir)
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


def read_failures(cell_dir: Path, most: int = 5) -> list[dict]:
    """Locust's failure reasons, most frequent first: what the dashboard shows beside a count."""
    path = cell_dir / f"{CSV_PREFIX}_failures.csv"
    if not path.exists():
        return []
    with path.open(newline="") as f:
        rows = [
            {"name": r["Name"], "error": r["Error"], "count": int(r["Occurrences"])}
            for r in csv.DictReader(f)
        ]
    return sorted(rows, key=lambda r: r["count"], reverse=True)[:most]


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


def cell_figures(*, cell_dir: Path, samples: list[dict], warmup_s: float) -> dict:
    """What one cell measured: Locust's figures, the server's CPU and connections, the loop's lag,
    the busy thread tokens and the generator check. No prediction: that was made before."""
    stats = read_stats(cell_dir)
    if AGGREGATED not in stats:
        raise ResultsError("no request finished after warm-up (Locust recorded none)")
    total = stats.pop(AGGREGATED)
    rps = total["rps"]
    since = warmup_s + 1.0  # spawning takes up to a second at spawn rate = users
    server_cores_busy = steady_rate(samples, "server_cpu_s", since)
    generator_cores_busy = steady_rate(samples, "generator_cpu_s", since)
    lags = worst_per_sample(samples, "lag_s")
    seconds = steady_seconds(cell_dir)
    halfwidth = interval.relative_halfwidth(seconds)
    return {
        **{k: total[k] for k in FIGURES},
        "steady_s": len(seconds),
        "rps_ci95_pct": round(100 * halfwidth, 2) if halfwidth is not None else None,
        "connections_per_worker": connection_split(samples, since),
        "server_cores_busy": round(server_cores_busy, 3),
        "server_cpu_ms_per_request": round(1000 * server_cores_busy / rps, 3) if rps else None,
        "generator_cores_busy": round(generator_cores_busy, 3),
        "generator_bound": generator_cores_busy >= GENERATOR_BOUND_CORES,
        "loop_lag_max_ms": round(max(lags, default=0.0) * 1000, 1),
        "loop_lag_median_ms": round(statistics.median(lags) * 1000, 1) if lags else None,
        "tokens_busy_max": max(worst_per_sample(samples, "tokens_busy"), default=0.0),
        "failure_reasons": read_failures(cell_dir),
        "endpoints": stats,
    }


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
    """Requests/s of each steady second of a cell: the per-second samples compare falls back on."""
    return [float(n) for n in steady_seconds(run_dir / cell.folder)]
