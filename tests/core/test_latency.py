"""HDR histograms: merged over processes, their percentiles match the raw samples' exact ones
within the histogram's precision, and their files round-trip."""

import json
import random

import pytest

from asyncgap.core import latency

PRECISION = 10**-latency.SIGNIFICANT_FIGURES  # relative: 3 significant figures


def exact_percentile(sorted_us: list[int], percent: float) -> int:
    """The nearest-rank percentile HDR computes (its target count rounded half up), from raw samples."""
    rank = max(1, int(percent * len(sorted_us) / 100 + 0.5))
    return sorted_us[rank - 1]


def samples_ms(seed: int, n: int) -> list[float]:
    """A long-tailed mix: most requests near 100 ms, some near 2 ms, a few of seconds."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.7:
            out.append(rng.lognormvariate(4.6, 0.2))
        elif kind < 0.98:
            out.append(rng.uniform(0.5, 3.0))
        else:
            out.append(rng.expovariate(1 / 2500))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_merged_histograms_give_the_raw_samples_percentiles(seed):
    samples = samples_ms(seed, 20_000)
    workers = [latency.new() for _ in range(3)]  # each Locust worker records its share
    for i, ms in enumerate(samples):
        latency.record(workers[i % 3], ms)
    merged = latency.merge(workers)
    assert merged.get_total_count() == len(samples)
    raw_us = sorted(round(ms * 1000) for ms in samples)
    for name, percent in latency.PERCENTILES.items():
        exact_ms = exact_percentile(raw_us, percent) / 1000
        measured = latency.percentiles_ms(merged)[name]
        assert exact_ms <= measured <= exact_ms * (1 + PRECISION), (name, exact_ms, measured)


def test_merging_is_exact_not_an_approximation():
    samples = samples_ms(7, 5_000)
    whole, halves = latency.new(), [latency.new(), latency.new()]
    for i, ms in enumerate(samples):
        latency.record(whole, ms)
        latency.record(halves[i % 2], ms)
    merged = latency.merge(halves)
    assert merged.get_total_count() == whole.get_total_count()
    assert latency.percentiles_ms(merged) == latency.percentiles_ms(whole)
    assert merged.equals(whole)


def test_an_empty_histogram_has_no_percentiles():
    assert latency.percentiles_ms(latency.new()) == dict.fromkeys(latency.PERCENTILES)


def test_values_outside_the_range_are_clamped_not_lost():
    histogram = latency.new()
    latency.record(histogram, 0.0)
    latency.record(histogram, 10 * latency.HIGHEST_US / 1000)
    assert histogram.get_total_count() == 2


def per_second(values: dict[int, dict[str, list[float]]]) -> latency.Seconds:
    seconds: latency.Seconds = {}
    for second, endpoints in values.items():
        for endpoint, times in endpoints.items():
            histogram = seconds.setdefault(second, {}).setdefault(endpoint, latency.new())
            for ms in times:
                latency.record(histogram, ms)
    return seconds


def test_a_window_keeps_only_its_seconds_per_endpoint():
    seconds = per_second(
        {10: {"/a": [1000.0]}, 11: {"/a": [5.0], "/b": [7.0]}, 12: {"/a": [6.0]}, 13: {"/a": [9e3]}}
    )
    merged = latency.window(seconds, range(11, 13))
    assert sorted(merged) == ["/a", "/b"]
    assert merged["/a"].get_total_count() == 2 and merged["/a"].get_max_value() < 7_000


def test_worker_reports_add_into_the_masters_histograms():
    master = per_second({10: {"/a": [1.0]}})
    latency.add_into(master, per_second({10: {"/a": [2.0], "/b": [3.0]}, 11: {"/a": [4.0]}}))
    assert {s: {e: h.get_total_count() for e, h in eps.items()} for s, eps in master.items()} == {
        10: {"/a": 2, "/b": 1},
        11: {"/a": 1},
    }


def test_a_file_round_trips(tmp_path):
    seconds = per_second({10: {"/a": samples_ms(1, 500), "POST /b": [2.0]}})
    path = tmp_path / "locust_hdr.json"
    latency.save(path, seconds)
    loaded = latency.load(path)
    assert loaded.keys() == {10}
    for endpoint, histogram in seconds[10].items():
        assert loaded[10][endpoint].equals(histogram)


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"unit": "ms", "seconds": {}}),
        json.dumps({"unit": "us", "seconds": {"1": {"/a": "@@"}}}),
    ],
)
def test_an_unreadable_file_is_one_line(tmp_path, content):
    path = tmp_path / "locust_hdr.json"
    path.write_text(content)
    with pytest.raises(latency.LatencyFileError, match="cannot read") as caught:
        latency.load(path)
    assert "\n" not in str(caught.value)
