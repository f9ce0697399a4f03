"""A Locust write storm over 4 gunicorn workers: every 201 is a row, nothing refused."""

import sqlite3

import pytest

from asyncgap.cell import stats
from asyncgap.core.matrix import Scenario
from asyncgap.engines import server, swarm

pytestmark = pytest.mark.e2e

STORM = Scenario(description="write storm", locustfile="locustfiles/write_storm.py", users=40)


@pytest.mark.parametrize("variant", ["sync", "async"])
def test_every_acknowledged_write_is_a_row(tmp_path, variant):
    database = tmp_path / "storm.db"
    env = {"ASYNCGAP_DATABASE_URL": f"sqlite:///{database}"}
    with server.serving(
        "gunicorn-2w",
        port=server.free_port(),
        log_path=tmp_path / "server.log",
        env=env,
        target=server.with_workers(4),
    ) as running:
        spec = swarm.SwarmSpec(
            scenario=STORM,
            variant=variant,
            host=running.url,
            users=STORM.users,
            duration_s=15,
            warmup_s=0,
            out_dir=tmp_path / "locust",
        )
        swarm.run(spec, cpus=None, on_start=lambda pid: lambda: None)
    writes = stats.read_stats(spec.out_dir)[f"POST /{variant}/notes"]
    failures = (spec.out_dir / "locust_failures.csv").read_text()
    assert writes.failures == 0, failures
    assert writes.requests > 500  # a real storm, not a trickle
    with sqlite3.connect(database) as db:
        (rows,) = db.execute("SELECT count(*) FROM notes").fetchone()
    # Every 201 is a row. A few rows more are writes committed while Locust stopped its users,
    # whose answers it never counted: at most one in flight per user.
    assert writes.requests <= rows <= writes.requests + STORM.users
