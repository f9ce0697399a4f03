"""A warm-up counts from the moment every user has started, not from Locust's spawning_complete:
sign-ins that last longer than the warm-up stay out of the measured seconds, in one process and
in a master with two workers (whose unreported counts are dropped with the master's), and the
swarm's clock stands still while they run, so a run or a level keeps all its seconds."""

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

# 3 s less the 0.3 s warm-up is 2.7 s; sign-ins counted in would leave 1.2 s. The floor sits
# midway, so a loaded machine's late ticks do not fail it and a clock that kept running through
# the sign-ins still does.
STEADY_FLOOR_S = 1.95


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
    entries = {entry["name"]: entry for entry in json.loads((tmp_path / swarm.JSON_NAME).read_text())}
    assert "/sign-in" not in entries
    assert entries["/work"]["num_requests"] > 1000
    assert steady_s(entries["/work"]) > STEADY_FLOOR_S


def steady_s(entry: dict) -> float:
    """From the stats' reset (the warm-up's end) to the last request."""
    return entry["last_request_timestamp"] - entry["start_time"]


def test_each_level_of_a_sweep_keeps_its_seconds_and_leaves_out_its_new_users_sign_ins(tmp_path):
    spec = swarm.SwarmSpec(
        scenario=SLOW_START,
        variant="async",
        host="http://127.0.0.1:9",
        users=10,
        duration_s=6,
        warmup_s=0.3,
        out_dir=tmp_path,
        shapes="asyncgap/load/shapes.py",
        levels=(5, 10),
    )
    swarm.run(spec, cpus=None, on_start=lambda *pids: dict)
    saved = json.loads((tmp_path / swarm.LEVELS_NAME).read_text())
    assert [level["users"] for level in saved] == [5, 10]
    for level in saved:
        entries = {entry["name"]: entry for entry in level["entries"]}
        assert "/sign-in" not in entries, level["users"]
        assert steady_s(entries["/work"]) > STEADY_FLOOR_S, level["users"]  # 3 s a level
