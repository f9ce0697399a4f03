"""A cell's exact percentiles, from the HDR histograms its Locust wrote (asyncgap/load/latency.py).

The histograms are kept per second, so every figure here covers exactly the seconds the
harness measures rps over: the steady window of Locust's own per-second counts (warm-up and
the partial first and last seconds left out), the cell's or one level's of a sweep. A cell
whose locustfile does not record them (a run from before, a user's own locustfile) has none,
and its figures stay Locust's.
"""

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from asyncgap.core import interval, latency
from asyncgap.core.records import Figures, ResultsError
from asyncgap.engines.swarm import JSON_NAME, LEVELS_NAME

HDR_NAME = JSON_NAME.removesuffix(".json") + latency.HDR_SUFFIX


class Percentiles(BaseModel):
    """Exact percentiles in ms, and how many requests they are of."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requests: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    p999_ms: float | None


class ExactLatency(BaseModel):
    """A window's exact percentiles: all requests together, and each endpoint's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    total: Percentiles
    endpoints: dict[str, Percentiles]


def _percentiles(histogram) -> Percentiles:
    return Percentiles(requests=histogram.get_total_count(), **latency.percentiles_ms(histogram))


def read(cell_dir: Path) -> latency.Seconds | None:
    """The cell's histograms by second, or None if its Locust wrote none."""
    path = cell_dir / HDR_NAME
    if not path.exists():
        return None
    try:
        return latency.load(path)
    except latency.LatencyFileError as exc:
        raise ResultsError(str(exc)) from None


def figures(seconds: latency.Seconds, steady: range) -> ExactLatency:
    """Exact percentiles of the window's requests, all together and per endpoint."""
    endpoints = latency.window(seconds, steady)
    return ExactLatency(
        total=_percentiles(latency.merge(endpoints.values())),
        endpoints={name: _percentiles(h) for name, h in sorted(endpoints.items())},
    )


def _beside(percentiles: Percentiles | None) -> dict[str, float | None]:
    """Exact percentiles under the names they take beside Locust's: p95_ms -> p95_ms_exact."""
    return {f"{name}_exact": percentiles and getattr(percentiles, name) for name in latency.PERCENTILES}


def joined(measured: Figures, seconds: latency.Seconds | None, steady: range) -> Figures:
    """Measured figures with the window's exact percentiles beside Locust's, the window's and each
    endpoint's (None without histograms)."""
    found = figures(seconds, steady) if seconds is not None else None
    endpoints = {
        name: stats.model_copy(update=_beside(found and found.endpoints.get(name)))
        for name, stats in measured.endpoints.items()
    }
    return measured.model_copy(update={**_beside(found and found.total), "endpoints": endpoints})


def p95_per_second(seconds: latency.Seconds, steady: range) -> list[float]:
    """The p95 of each second of the window that saw a request: compare's samples of latency."""
    samples = []
    for second in steady:
        merged = latency.merge(seconds.get(second, {}).values())
        if merged.get_total_count():
            samples.append(latency.percentiles_ms(merged)["p95_ms"])
    return samples


def _load_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ResultsError(f"cannot read {path}: {exc}") from None


def steady_window(cell_dir: Path, level: int | None = None) -> range:
    """The seconds the harness measured the cell over (or one level of its sweep, by its users),
    from Locust's per-second counts: the window its rps and these percentiles share."""
    if level is None:
        entries = _load_json(cell_dir / JSON_NAME)
    else:
        saved = {lv["users"]: lv for lv in _load_json(cell_dir / LEVELS_NAME)}
        if level not in saved:
            raise ResultsError(f"{cell_dir / LEVELS_NAME} has no level of {level} users")
        entries = saved[level]["entries"]
    return interval.steady_window(interval.per_second(entries))


def steady_p95(cell_dir: Path, level: int | None = None) -> tuple[float | None, list[float]]:
    """A cell's (or a level's) exact p95 over its steady window, and each steady second's p95;
    (None, []) when its Locust recorded no histograms."""
    seconds = read(cell_dir)
    if seconds is None:
        return None, []
    steady = steady_window(cell_dir, level)
    return figures(seconds, steady).total.p95_ms, p95_per_second(seconds, steady)
