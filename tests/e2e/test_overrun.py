"""A Locust that overruns its run time by the margin is killed, its whole process group, and
the cell fails with the reason: no load run is unbounded."""

import os
import time

import pytest

from asyncgap.core.matrix import Scenario
from asyncgap.engines import swarm

pytestmark = pytest.mark.e2e

MARGIN_S = 2.0


def test_a_swarm_that_overruns_is_killed_with_its_process_group(tmp_path, monkeypatch):
    monkeypatch.setattr(swarm, "OVERRUN_MARGIN_S", MARGIN_S)
    monkeypatch.setattr(swarm, "START_LIMIT_S", 0.0)  # its one user starts at once
    hanging = Scenario(description="hangs", locustfile="tests/fixtures/hanging_locustfile.py", users=1)
    spec = swarm.SwarmSpec(
        scenario=hanging,
        variant="sync",
        host="http://127.0.0.1:9",
        users=1,
        duration_s=1,
        warmup_s=0,
        out_dir=tmp_path,
    )
    started: list[int] = []

    def on_start(pid: int):
        started.append(pid)
        return lambda: None

    began = time.monotonic()
    with pytest.raises(swarm.SwarmError, match=r"^Locust overran its 1 s run time; killed$"):
        swarm.run(spec, cpus=None, on_start=on_start)
    elapsed = time.monotonic() - began

    assert spec.duration_s + MARGIN_S <= elapsed < spec.duration_s + MARGIN_S + 10
    with pytest.raises(ProcessLookupError):
        os.killpg(started[0], 0)  # nothing is left in Locust's process group
