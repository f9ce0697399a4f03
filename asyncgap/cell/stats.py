"""Locust's own output -> typed figures: each endpoint's requests, rate and percentiles over the
steady seconds, the failure reasons, and a sweep's stats saved level by level."""

import csv
import json
from collections import Counter
from pathlib import Path

from asyncgap.core import interval
from asyncgap.core.names import endpoint_key
from asyncgap.core.records import EndpointFigures, FailureReason, ResultsError
from asyncgap.engines.swarm import CSV_PREFIX, JSON_NAME, LEVELS_NAME

AGGREGATED = "Aggregated"
MIN_WINDOW_S = 2  # whole steady seconds needed to measure rps over a fixed window
MOST_REASONS = 5  # failure reasons kept per cell, most frequent first


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
    span = span_s(entries)
    return count / span if span > 0 else 0.0


def span_s(entries: list[dict]) -> float:
    """Seconds from the stats' start (the reset after warm-up) to the last request that ended."""
    start = min(e["start_time"] for e in entries)
    end = max((e["last_request_timestamp"] or 0) for e in entries)
    return max(end - start, 0.0)


def _figures(method: str, entries: list[dict], window: range) -> EndpointFigures:
    count = sum(e["num_requests"] for e in entries)
    times: Counter = Counter()
    for e in entries:
        times.update({float(ms): n for ms, n in e["response_times"].items()})
    return EndpointFigures(
        method=method,
        requests=count,
        failures=sum(e["num_failures"] for e in entries),
        rps=_rate(entries, window),
        mean_ms=sum(e["total_response_time"] for e in entries) / count if count else None,
        p50_ms=_percentile(times, count, 0.50),
        p95_ms=_percentile(times, count, 0.95),
        p99_ms=_percentile(times, count, 0.99),
    )


def entries(cell_dir: Path) -> list[dict]:
    """Locust's serialized stats entries, one per endpoint, from its --json-file."""
    path = cell_dir / JSON_NAME
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ResultsError(f"cannot read {path}: {exc}") from None


def read_stats(cell_dir: Path) -> dict[str, EndpointFigures]:
    """Locust's final stats per endpoint name, and 'Aggregated', from its --json-file.

    Not from <prefix>_stats.csv: Locust rewrites that file once a second and not at exit, so
    it misses the run's last second (hundreds of requests in a short cell).
    """
    return by_endpoint(entries(cell_dir))


def by_endpoint(stats_entries: list[dict]) -> dict[str, EndpointFigures]:
    """Figures per endpoint name, and 'Aggregated', of Locust's serialized stats entries."""
    window = interval.steady_window(per_second(stats_entries))
    stats = {endpoint_key(e["method"], e["name"]): _figures(e["method"], [e], window) for e in stats_entries}
    if stats_entries:
        stats[AGGREGATED] = _figures("", stats_entries, window)
    return stats


def per_second(stats_entries: list[dict]) -> Counter:
    """Requests finished in each second (since the epoch), every endpoint together."""
    counts: Counter = Counter()
    for e in stats_entries:
        counts.update({int(t): n for t, n in e["num_reqs_per_sec"].items()})
    return counts


def steady_seconds(cell_dir: Path) -> list[int]:
    """Requests finished in each whole second after warm-up (first and last, partial, left out)."""
    return interval.steady_counts(per_second(entries(cell_dir)))


def read_failures(cell_dir: Path, most: int = MOST_REASONS) -> list[FailureReason]:
    """Locust's failure reasons, most frequent first: what the dashboard shows beside a count."""
    path = cell_dir / f"{CSV_PREFIX}_failures.csv"
    if not path.exists():
        return []
    with path.open(newline="") as f:
        rows = [
            FailureReason(name=r["Name"], error=r["Error"], count=int(r["Occurrences"]))
            for r in csv.DictReader(f)
        ]
    return most_frequent(rows, most)


def most_frequent(reasons: list[FailureReason], most: int = MOST_REASONS) -> list[FailureReason]:
    return sorted(reasons, key=lambda r: r.count, reverse=True)[:most]


def read_levels(cell_dir: Path) -> dict[int, dict]:
    """A sweep's saved levels (locustfiles/shapes.py), by their users: stats entries and errors."""
    path = cell_dir / LEVELS_NAME
    try:
        return {level["users"]: level for level in json.loads(path.read_text())}
    except (OSError, json.JSONDecodeError) as exc:
        raise ResultsError(f"cannot read {path}: {exc}") from None


def level_failures(saved_level: dict) -> list[FailureReason]:
    """A saved level's failure reasons, most frequent first, as read_failures gives a cell's."""
    errors = saved_level["errors"].values()
    return most_frequent(
        [FailureReason(name=e["name"], error=e["error"], count=e["occurrences"]) for e in errors]
    )
