"""A warm-up counts from the moment every user has started, not from Locust's spawning_complete:
sign-ins that last longer than the warm-up stay out of the measured seconds, in one process and
in a master with two workers (whose unreported counts are dropped with the master's)."""

import json

import pytest

from asyncgap.core.matrix import Scenario
from asyncgap.engines import swarm

pytestmark = pytest.mark.e2e

SLOW_START = Scenario(
    description="users that sign in for 0.5 to 1.5 s as they start",
    locustfile="tests/fixtures/slow_start_locustfile.py",
    users=20,
)


@pytest.mark.parametrize("workers", [1, 2])
def test_sign_ins_longer_than_the_warmup_stay_out_of_the_steady_stats(tmp_path, workers):
    spec = swarm.SwarmSpec(
        scenario=SLOW_START,
        variant="async",
        host="http://127.0.0.1:9",
        users=20,
        duration_s=3,
        warmup_s=0.3,
        out_dir=tmp_path,
    )
    swarm.run(spec, cpus=None, on_start=lambda *pids: dict, workers=workers)
    names = {
        entry["name"]: entry["num_requests"] for entry in json.loads((tmp_path / swarm.JSON_NAME).read_text())
    }
    assert names.get("/work", 0) > 1000
    assert "/sign-in" not in names
