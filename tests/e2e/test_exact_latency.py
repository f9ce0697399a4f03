"""The HDR recorder inside a real Locust: one process, or a master and two workers (whose
histograms travel with their stats reports), hold exactly the requests Locust counted, and
give Locust's own percentiles where Locust does not round (below 100 ms)."""

import json
from collections import Counter

import pytest

from asyncgap.cell import exact
from asyncgap.core import latency
from asyncgap.core.matrix import Scenario
from asyncgap.engines import swarm

pytestmark = pytest.mark.e2e

SYNTHETIC = Scenario(
    description="response times reported without a server",
    locustfile="tests/fixtures/synthetic_latency_locustfile.py",
    users=4,
)


def locust_percentile(times: Counter, percent: float) -> int:
    """The nearest-rank percentile of Locust's stored (here unrounded) response times."""
    total = sum(times.values())
    rank = max(1, int(percent * total / 100 + 0.5))
    seen = 0
    for ms in sorted(times):
        seen += times[ms]
        if seen >= rank:
            return ms
    raise AssertionError("empty")


@pytest.mark.parametrize("workers", [1, 2])
def test_the_histograms_hold_every_request_locust_counted(tmp_path, workers):
    spec = swarm.SwarmSpec(
        scenario=SYNTHETIC,
        variant="async",
        host="http://127.0.0.1:9",
        users=4,
        duration_s=3,
        warmup_s=0,
        out_dir=tmp_path,
    )
    swarm.run(spec, cpus=None, on_start=lambda *pids: dict, workers=workers)
    [entry] = json.loads((tmp_path / swarm.JSON_NAME).read_text())
    seconds = exact.read(tmp_path)
    assert seconds is not None, "no histogram file"
    merged = latency.merge(h for endpoints in seconds.values() for h in endpoints.values())
    assert entry["num_requests"] > 1000
    assert merged.get_total_count() == entry["num_requests"]
    times = Counter({int(float(ms)): n for ms, n in entry["response_times"].items()})
    for name, percent in latency.PERCENTILES.items():
        expected = locust_percentile(times, percent)
        assert expected <= latency.percentiles_ms(merged)[name] <= expected * 1.001, name
    per_second = Counter({int(t): n for t, n in entry["num_reqs_per_sec"].items()})
    recorded = {s: sum(h.get_total_count() for h in e.values()) for s, e in seconds.items()}
    inner = exact.steady_window(tmp_path)
    assert sum(recorded[s] for s in inner) == pytest.approx(sum(per_second[s] for s in inner), rel=0.02)
