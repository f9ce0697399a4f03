"""Locust's final stats + the harness's samples + the model -> one cell's figures; repeats merged."""

import csv
import json
import statistics
from collections import Counter
from pathlib import Path
from typing import TypeVar

from core import interval
from core.names import endpoint_key
from loadtest import model
from loadtest.records import CellResult, FailureReason, ResultsError, WorkerEvent
from loadtest.swarm import CSV_PREFIX, JSON_NAME

Row = TypeVar("Row", FailureReason, WorkerEvent)

AGGREGATED = "Aggregated"
GENERATOR_BOUND_CORES = 0.85  # Locust is one process: near one core it is the bottleneck
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


def _figures(method: str, entries: list[dict]) -> dict:
    count = sum(e["num_requests"] for e in entries)
    times: Counter = Counter()
    for e in entries:
        times.update({float(ms): n for ms, n in e["response_times"].items()})
    start = min(e["start_time"] for e in entries)
    end = max((e["last_request_timestamp"] or 0) for e in entries)
    return {
        "method": method,
        "requests": count,
        "failures": sum(e["num_failures"] for e in entries),
        "rps": count / (end - start) if end > start else 0.0,
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
    stats = {endpoint_key(e["method"], e["name"]): _figures(e["method"], [e]) for e in entries}
    if entries:
        stats[AGGREGATED] = _figures("", entries)
    return stats


def steady_seconds(cell_dir: Path) -> list[int]:
    """Requests finished in each whole second after warm-up (first and last, partial, left out)."""
    per_second: Counter = Counter()
    for e in _entries(cell_dir):
        per_second.update({int(t): n for t, n in e["num_reqs_per_sec"].items()})
    return interval.steady_counts(per_second)


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


def cell_figures(
    *,
    cell_dir: Path,
    samples: list[dict],
    calibration: dict[str, dict],
    users: int,
    warmup_s: float,
    server: model.Server,
) -> dict:
    """Measured figures, the model's prediction and the generator check, for one cell."""
    stats = read_stats(cell_dir)
    if AGGREGATED not in stats:
        raise ResultsError("no request finished after warm-up (Locust recorded none)")
    total = stats.pop(AGGREGATED)
    counts = {name: s["requests"] for name, s in stats.items()}
    shares = model.shares(counts)
    endpoints = [
        model.Endpoint(name, shares.get(name, 0.0), calibration[name]["min_ms"] / 1000)
        for name in stats
        if name in calibration
    ]
    since = warmup_s + 1.0  # spawning takes up to a second at spawn rate = users
    server_cores_busy = steady_rate(samples, "server_cpu_s", since)
    generator_cores_busy = steady_rate(samples, "generator_cpu_s", since)
    split = connection_split(samples, since)
    cpu_per_request = server_cores_busy / total["rps"] if total["rps"] else 0.0
    predicted = model.predict_rps(
        endpoints, users, server, cpu_s_per_request=cpu_per_request, connections=split or None
    )
    predicted_even = model.predict_rps(endpoints, users, server, cpu_s_per_request=cpu_per_request)
    lags = worst_per_sample(samples, "lag_s")
    seconds = steady_seconds(cell_dir)
    halfwidth = interval.relative_halfwidth(seconds)
    for name, figures in stats.items():
        figures["predicted_rps"] = round(predicted * shares.get(name, 0.0), 2)
        figures["service_ms"] = calibration.get(name, {}).get("min_ms")
    return {
        **{k: total[k] for k in FIGURES},
        "predicted_rps": round(predicted, 2),
        "predicted_rps_even_split": round(predicted_even, 2),
        "measured_over_predicted": round(total["rps"] / predicted, 3) if predicted else None,
        "steady_s": len(seconds),
        "rps_ci95_pct": round(100 * halfwidth, 2) if halfwidth is not None else None,
        "connections_per_worker": split,
        "server_cores_busy": round(server_cores_busy, 3),
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
