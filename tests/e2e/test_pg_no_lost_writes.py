"""PostgreSQL killed mid write-storm and started again: every acknowledged note is a row, and
every failed write says why (the database was unavailable), never a bare 500."""

import csv
import time

import psycopg
import pytest

from asyncgap.cell import stats
from asyncgap.core.matrix import Scenario
from asyncgap.engines import lifeline, postgres, server, swarm

pytestmark = pytest.mark.e2e

STORM = Scenario(description="write storm", locustfile="locustfiles/write_storm.py", users=40)
CRASH_AT_S, DOWN_S, STORM_S = 4.0, 1.5, 12


class Fault:
    """Called by the swarm's sampler every half second: crashes the cluster, then starts it again."""

    def __init__(self, cluster: postgres.Cluster) -> None:
        self.cluster = cluster
        self.started = time.monotonic()
        self.crashed_at: float | None = None
        self.restarted = False

    def __call__(self) -> None:
        elapsed = time.monotonic() - self.started
        if self.crashed_at is None and elapsed >= CRASH_AT_S:
            self.cluster.crash()
            self.crashed_at = elapsed
        elif self.crashed_at is not None and not self.restarted and elapsed >= self.crashed_at + DOWN_S:
            self.cluster.start()
            self.restarted = True


@pytest.mark.parametrize("variant", ["sync", "async"])
def test_no_acknowledged_write_is_lost_when_postgres_crashes(tmp_path, variant):
    faults: list[Fault] = []
    with lifeline.scratch("asyncgap-test-pg-") as scratch, postgres.running(scratch / "pg") as cluster:
        env = {"ASYNCGAP_DATABASE_URL": cluster.dsn}
        with server.serving(
            "uvicorn-1w", port=server.free_port(), log_path=tmp_path / "server.log", env=env
        ) as running:
            spec = swarm.SwarmSpec(
                scenario=STORM,
                variant=variant,
                host=running.url,
                users=STORM.users,
                duration_s=STORM_S,
                warmup_s=0,
                out_dir=tmp_path / "locust",
            )
            swarm.run(spec, cpus=None, on_start=lambda _pid: faults.append(Fault(cluster)) or faults[0])
        with psycopg.connect(cluster.dsn) as conn:
            (rows,) = conn.execute("SELECT count(*) FROM notes").fetchone()
    assert faults[0].restarted, "the storm ended before the fault was over"
    writes = stats.read_stats(spec.out_dir)[f"POST /{variant}/notes"]
    acknowledged = writes.requests - writes.failures
    with (spec.out_dir / "locust_failures.csv").open() as f:
        reasons = {row["Error"] for row in csv.DictReader(f)}
    assert writes.failures > 0, "the crash failed no write: it did not happen mid-storm"
    assert acknowledged > 300, "a real storm, not a trickle"
    # Every failure says the database was unavailable (a 503 with the driver's reason).
    assert reasons and all("HTTP 503" in r and "database unavailable" in r for r in reasons), reasons
    # Every 201 is a row. More rows than 201s: writes committed whose answer never came back
    # (in flight at the crash, or when Locust stopped its users), at most one per user and failure.
    assert acknowledged <= rows <= acknowledged + writes.failures + STORM.users
