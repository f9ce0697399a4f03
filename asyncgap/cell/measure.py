"""Locust's final stats + the harness's samples -> one cell's (or each level's) measured `Figures`.

No prediction here: it was made before the load; asyncgap/cell/recording.py puts the two side
by side."""

import statistics
from pathlib import Path

from asyncgap.cell import blocking, exact, stats
from asyncgap.core import interval, latency
from asyncgap.core.records import BlockingFigures, FailureReason, Figures, ResultsError, fields_of

GENERATOR_BOUND_CORES = 0.85  # a Locust process uses one core: near it, it is the bottleneck


def steady_rate(samples: list[dict], key: str, since_s: float = 0.0) -> float:
    """Rate of a cumulative counter (CPU seconds) over the samples taken after `since_s`."""
    steady = [s for s in samples if s["t"] >= since_s] or samples
    if len(steady) < 2 or steady[-1]["t"] <= steady[0]["t"]:
        return 0.0
    return (steady[-1][key] - steady[0][key]) / (steady[-1]["t"] - steady[0]["t"])


def connection_split(samples: list[dict]) -> list[int]:
    """Connections per worker in steady state (the sample holding the most), busiest first."""
    steady = [s["connections"] for s in samples if s["connections"]]
    if not steady:
        return []
    return sorted(max(steady, key=lambda c: sum(c.values())).values(), reverse=True)


def outbound_mean(samples: list[dict]) -> float | None:
    """The server's connections to other servers, all workers, on average over the samples (None
    from samples that did not count them: a container's, or a record made before)."""
    counted = [sum(s["outbound"].values()) for s in samples if s.get("outbound")]
    return round(statistics.mean(counted), 1) if counted else None


def worst_per_sample(samples: list[dict], key: str) -> list[float]:
    return [max(s[key].values(), default=0.0) for s in samples]


MIN_SPAN_S = 1.0  # the least time a rate is measured over when the cell held no whole steady second


def cell_figures(*, cell_dir: Path, samples: list[dict], generator_cores: int = 1) -> Figures:
    """What one cell measured: Locust's figures, the server's CPU and connections, the loop's lag,
    the busy thread tokens and the generator check."""
    entries = stats.entries(cell_dir)
    return _steady_figures(
        entries,
        samples,
        exact.read(cell_dir),
        failure_reasons=stats.read_failures(cell_dir),
        generator_cores=generator_cores,
    )


def level_figures(
    *, cell_dir: Path, samples: list[dict], levels: tuple[int, ...], generator_cores: int = 1
) -> list[Figures]:
    """What each level of a sweep measured, as cell_figures does for a cell: its own stats (its
    warm-up discarded) beside the samples taken within its steady seconds."""
    saved = stats.read_levels(cell_dir)
    histograms = exact.read(cell_dir)
    figures = []
    for users in levels:
        if users not in saved:
            raise ResultsError(f"the level of {users} users saved no stats (the swarm ended early)")
        reasons = stats.level_failures(saved[users])
        entries = saved[users]["entries"]
        figures.append(
            _steady_figures(
                entries, samples, histograms, failure_reasons=reasons, generator_cores=generator_cores
            )
        )
    return figures


def _steady_figures(
    entries: list[dict],
    samples: list[dict],
    histograms: latency.Seconds | None,
    *,
    failure_reasons: list[FailureReason],
    generator_cores: int,
) -> Figures:
    """Locust's figures beside the samples of the same seconds: its steady window, which begins
    once every user has started and the warm-up has passed (asyncgap.load.options), however long
    a locustfile's on_start took."""
    seconds = interval.steady_window(stats.per_second(entries))  # whole seconds since the epoch
    inside = [s for s in samples if seconds.start <= s["at"] < seconds.stop]
    measured = _measured(entries, inside, failure_reasons=failure_reasons, generator_cores=generator_cores)
    return exact.joined(measured, histograms, seconds)


def _measured(
    entries: list[dict],
    samples: list[dict],
    *,
    failure_reasons: list[FailureReason],
    generator_cores: int,
) -> Figures:
    """Figures of Locust's stats entries beside the samples of the same time;
    the generator is the bottleneck near the `generator_cores` its processes can use."""
    endpoints = stats.by_endpoint(entries)
    if stats.AGGREGATED not in endpoints:
        raise ResultsError("no request finished after warm-up (Locust recorded none)")
    total = endpoints.pop(stats.AGGREGATED)
    seconds = interval.steady_counts(stats.per_second(entries))
    if not seconds and (span_s := stats.span_s(entries)) < MIN_SPAN_S:  # a rate over a blink is a guess
        raise ResultsError(
            f"no steady second: Locust finished {total.requests} request(s) within "
            f"{1000 * span_s:.0f} ms after warm-up (the load started late or ended "
            "early: a busy machine, or too short a --duration)"
        )
    server_busy = steady_rate(samples, "server_cpu_s")
    generator_busy = steady_rate(samples, "generator_cpu_s")
    db_busy = steady_rate(samples, "db_cpu_s") if any(s.get("db_cpu_s") for s in samples) else None
    lags = worst_per_sample(samples, "lag_s")
    halfwidth = interval.relative_halfwidth(seconds)
    return Figures(
        **fields_of(total, Figures),  # all requests' count, rate and percentiles
        steady_s=len(seconds),
        rps_ci95_pct=round(100 * halfwidth, 2) if halfwidth is not None else None,
        connections_per_worker=connection_split(samples),
        outbound_connections=outbound_mean(samples),
        server_cores_busy=round(server_busy, 3),
        server_cpu_ms_per_request=_ms_per_request(server_busy, total.rps),
        server_wakeups_per_request=_per_request(samples, "server_wakeups", total.rps),
        server_preemptions_per_request=_per_request(samples, "server_preemptions", total.rps),
        pace_ms=cores_pace_ms(samples),
        generator_cores_busy=round(generator_busy, 3),
        generator_bound=generator_busy >= GENERATOR_BOUND_CORES * generator_cores,
        loop_lag_max_ms=round(max(lags, default=0.0) * 1000, 1),
        loop_lag_median_ms=round(statistics.median(lags) * 1000, 1) if lags else None,
        tokens_busy_max=max(worst_per_sample(samples, "tokens_busy"), default=0.0),
        failure_reasons=failure_reasons,
        endpoints=endpoints,
        db_cores_busy=None if db_busy is None else round(db_busy, 3),  # PostgreSQL cells only
        db_cpu_ms_per_request=_ms_per_request(db_busy, total.rps),
        **fields_of(blocking.figures(samples), BlockingFigures),
    )


def _per_request(samples: list[dict], key: str, rps: float) -> float | None:
    """A counter's steady rate per request (None from samples taken before it was counted)."""
    if not rps or not any(s.get(key) for s in samples):
        return None
    return round(steady_rate(samples, key) / rps, 3)


def cores_pace_ms(samples: list[dict]) -> float | None:
    """The pace of the server's cores over the steady samples (None without the run's timer)."""
    if not any(s.get("pace_units") for s in samples):
        return None
    units = steady_rate(samples, "pace_units")
    return round(1000 * steady_rate(samples, "pace_cpu_s") / units, 4) if units > 0 else None


def _ms_per_request(cores_busy: float | None, rps: float) -> float | None:
    """CPU milliseconds per request of a process tree that kept `cores_busy` cores busy."""
    return round(1000 * cores_busy / rps, 3) if cores_busy is not None and rps else None
