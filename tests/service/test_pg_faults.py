"""PostgreSQL going away and coming back: every variant answers 503 with the reason, then recovers."""

import pytest

from asyncgap.core.variants import VARIANTS
from asyncgap.engines import lifeline, postgres
from asyncgap.engines.server import free_port
from service.settings import Settings

pytestmark = pytest.mark.anyio

DB_WORK = [("GET", "/{}/notes"), ("POST", "/{}/notes"), ("GET", "/{}/query"), ("GET", "/healthz")]


@pytest.fixture
def cluster():
    """A cluster of its own: this test crashes it."""
    with lifeline.scratch("asyncgap-test-pg-") as scratch, postgres.running(scratch / "pg") as cluster:
        yield cluster


def settings_for(cluster: postgres.Cluster) -> Settings:
    return Settings(database_url=cluster.dsn, upstream_url=f"http://127.0.0.1:{free_port()}", cpu_processes=1)


async def call(client, method: str, path: str):
    return await client.request(method, path, json={"text": "x"} if method == "POST" else None)


async def test_a_crashed_database_is_503_with_the_reason_then_recovers(asgi_client, cluster):
    async with asgi_client(settings_for(cluster)) as client:
        for variant in VARIANTS:  # every pool holds a connection the crash will break
            assert (await client.post(f"/{variant}/notes", json={"text": "before"})).status_code == 201
        cluster.crash()
        for variant in VARIANTS:
            for method, path in DB_WORK:
                response = await call(client, method, path.format(variant))
                assert response.status_code == 503, (method, path, variant, response.text)
                assert response.json()["detail"].startswith("database unavailable: "), response.text
        assert (await client.get("/fast")).status_code == 200
        cluster.start()
        for variant in VARIANTS:
            # The first call may still find a connection broken by the crash (503); the next one is fresh.
            await client.get(f"/{variant}/notes")
            response = await client.get(f"/{variant}/notes")
            assert response.status_code == 200, response.text
            assert [n["text"] for n in response.json()[:3]] == ["before"] * 3
