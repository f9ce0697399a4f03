"""Fixtures every test folder may use: a real throwaway PostgreSQL cluster (never a mock); and
the rule for tests that need a Docker engine."""

import os
from collections.abc import Iterator

import pytest

from asyncgap.engines import docker, lifeline, postgres


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[postgres.Cluster]:
    """One cluster for the session, in a scratch folder the reaper removes even if pytest is killed."""
    with lifeline.scratch("asyncgap-test-pg-") as scratch, postgres.running(scratch / "pg") as cluster:
        yield cluster


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `docker` are skipped, with the reason, where no Docker engine answers, so
    `make test` passes on a machine without one. Under CI (the `CI` variable set, as CI services
    and .ci/run set it) they always run: a missing engine there fails them rather than hides them."""
    needs_docker = [item for item in items if item.get_closest_marker("docker")]
    if not needs_docker or os.environ.get("CI"):
        return
    if reason := docker.why_no_engine():
        for item in needs_docker:
            item.add_marker(pytest.mark.skip(reason=reason))
