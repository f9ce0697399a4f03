"""Fixtures every test folder may use: a real throwaway PostgreSQL cluster (never a mock)."""

from collections.abc import Iterator

import pytest

from loadtest import lifeline, postgres


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[postgres.Cluster]:
    """One cluster for the session, in a scratch folder the reaper removes even if pytest is killed."""
    with lifeline.scratch("asyncgap-test-pg-") as scratch, postgres.running(scratch / "pg") as cluster:
        yield cluster
