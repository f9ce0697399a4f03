"""Exact latency: every request's response time in an HDR histogram, per second and per endpoint.

Locust keeps response times rounded (147 ms is stored as 150, 3,432 as 3,400), so its
percentiles land on bucket edges. An HDR histogram keeps every value to SIGNIFICANT_FIGURES
digits (0.1%) from 1 µs to an hour, and two histograms of the same layout add up exactly, so
the histograms of Locust's worker processes merge into the one the cell would have had.

They are kept per whole second of the wall clock (the seconds Locust counts requests in):
the harness sums the seconds of the steady window it measures rps over (warm-up and the
partial first and last seconds left out), or of one level of a sweep, and compare takes each
steady second's p95 as a sample. The locustfiles record (asyncgap/load/latency.py); the harness
reads (asyncgap/cell/exact.py). A file holds {"unit": "us", "seconds": {second: {endpoint:
base64 of HDR's compressed encoding}}}.
"""

import json
import zlib
from collections.abc import Iterable
from pathlib import Path

from hdrh.codec import HdrCookieException, HdrHistogramSettingsException, HdrLengthException
from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # an hour: longer than any run's cell
SIGNIFICANT_FIGURES = 3
UNIT = "us"
BAD_ENCODING = (HdrCookieException, HdrLengthException, HdrHistogramSettingsException, zlib.error)
HDR_SUFFIX = "_hdr.json"  # after the stem of Locust's --json-file, as a sweep's levels are
PERCENTILES = {"p50_ms": 50.0, "p95_ms": 95.0, "p99_ms": 99.0, "p999_ms": 99.9}

Seconds = dict[int, dict[str, HdrHistogram]]  # whole second of the epoch -> endpoint -> histogram


class LatencyFileError(ValueError):
    """A histogram file that cannot be read; the message is one line."""


def new() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)


def record(histogram: HdrHistogram, response_time_ms: float) -> None:
    """One response time, in ms as Locust reports it, clamped into the histogram's range."""
    histogram.record_value(min(HIGHEST_US, max(LOWEST_US, round(response_time_ms * 1000))))


def merge(histograms: Iterable[HdrHistogram]) -> HdrHistogram:
    """The exact sum: every count of every histogram, in a new one."""
    total = new()
    for histogram in histograms:
        total.add(histogram)
    return total


def percentiles_ms(histogram: HdrHistogram) -> dict[str, float | None]:
    """p50, p95, p99 and p99.9 in ms (None for an empty histogram). HDR's value at a percentile
    is the smallest recorded value with at least that share of the counts at or below it,
    reported as the top of its 0.1% bucket."""
    if not histogram.get_total_count():
        return dict.fromkeys(PERCENTILES)
    return {name: histogram.get_value_at_percentile(percent) / 1000 for name, percent in PERCENTILES.items()}


def encode(histogram: HdrHistogram) -> str:
    return histogram.encode().decode("ascii")


def decode(text: str) -> HdrHistogram:
    return HdrHistogram.decode(text.encode("ascii"))


def add_into(seconds: Seconds, more: Seconds) -> None:
    """Add `more` (a worker's report, say) into `seconds`, second by second, endpoint by endpoint."""
    for second, endpoints in more.items():
        mine = seconds.setdefault(second, {})
        for endpoint, histogram in endpoints.items():
            mine.setdefault(endpoint, new()).add(histogram)


def to_json(seconds: Seconds) -> dict:
    return {
        "unit": UNIT,
        "seconds": {
            str(second): {endpoint: encode(h) for endpoint, h in endpoints.items()}
            for second, endpoints in sorted(seconds.items())
        },
    }


def from_json(data: dict) -> Seconds:
    if data.get("unit") != UNIT:
        raise LatencyFileError(f"histograms in {data.get('unit')!r}, expected {UNIT!r}")
    return {
        int(second): {endpoint: decode(text) for endpoint, text in endpoints.items()}
        for second, endpoints in data["seconds"].items()
    }


def save(path: Path, seconds: Seconds) -> None:
    path.write_text(json.dumps(to_json(seconds)))


def load(path: Path) -> Seconds:
    """A histogram file; LatencyFileError (one line) if it is unreadable or not one."""
    try:
        return from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError, *BAD_ENCODING) as exc:
        raise LatencyFileError(f"cannot read {path}: {exc}") from None


def window(seconds: Seconds, steady: range) -> dict[str, HdrHistogram]:
    """Each endpoint's histogram over the seconds of `steady`, merged."""
    merged: dict[str, HdrHistogram] = {}
    for second in steady:
        for endpoint, histogram in seconds.get(second, {}).items():
            merged.setdefault(endpoint, new()).add(histogram)
    return merged
