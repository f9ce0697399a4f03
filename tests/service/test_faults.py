"""Faults answer 502/503/504 with a message, never a 500 traceback; a 201 is never lost."""

import sqlite3
from contextlib import closing

import pytest

from asyncgap.core.variants import VARIANTS

pytestmark = pytest.mark.anyio

DB_WORK = [("GET", "notes"), ("POST", "notes"), ("GET", "query")]


async def call(client, method: str, path: str):
    return await client.request(method, path, json={"text": "x"} if method == "POST" else None)


@pytest.fixture
def unavailable(settings, tmp_path):
    """A database URL that names a directory: SQLite cannot open it (no startup schema either)."""
    return settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}", "create_schema": False})


@pytest.mark.parametrize("variant", VARIANTS)
async def test_database_unavailable_is_503(asgi_client, unavailable, variant):
    async with asgi_client(unavailable) as client:
        for method, work in DB_WORK:
            response = await call(client, method, f"/{variant}/{work}")
            assert response.status_code == 503, (method, work, response.text)
            assert response.json()["detail"].startswith("database unavailable: unable to open database file")


async def test_database_unavailable_fails_healthz_and_tutorial_notes(asgi_client, unavailable):
    async with asgi_client(unavailable) as client:
        assert (await client.get("/healthz")).status_code == 503
        assert (await client.get("/notes/")).status_code == 503
        assert (await client.get("/fast")).status_code == 200


async def test_missing_schema_is_503_naming_the_table(asgi_client, settings):
    async with asgi_client(settings.model_copy(update={"create_schema": False})) as client:
        response = await client.get("/sync/notes")
    assert response.status_code == 503
    assert "no such table: notes" in response.json()["detail"]


@pytest.mark.parametrize("variant", VARIANTS)
async def test_write_locked_past_the_busy_timeout_is_503_and_not_stored(asgi_client, settings, variant):
    config = settings.model_copy(update={"busy_timeout_s": 0.2})
    async with asgi_client(config) as client:
        with closing(sqlite3.connect(config.sqlite_path, isolation_level=None)) as holder:
            holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
            response = await client.post(f"/{variant}/notes", json={"text": "lost?"})
            holder.execute("ROLLBACK")
        assert response.status_code == 503
        assert response.json()["detail"].startswith("database busy: still locked after 0.2 s")
        assert (await client.get(f"/{variant}/notes")).json() == []


@pytest.mark.parametrize("variant", VARIANTS)
async def test_readers_are_not_blocked_by_a_writer(asgi_client, settings, variant):
    """WAL mode: a write transaction in progress does not stop reads."""
    async with asgi_client(settings.model_copy(update={"busy_timeout_s": 0.2})) as client:
        await client.post(f"/{variant}/notes", json={"text": "committed"})
        with closing(sqlite3.connect(settings.sqlite_path, isolation_level=None)) as holder:
            holder.execute("BEGIN IMMEDIATE")
            holder.execute("INSERT INTO notes (text) VALUES ('uncommitted')")
            response = await client.get(f"/{variant}/notes")
            holder.execute("ROLLBACK")
    assert [note["text"] for note in response.json()] == ["committed"]


@pytest.mark.parametrize("variant", VARIANTS)
async def test_upstream_down_is_502(client, variant):
    response = await client.get(f"/{variant}/upstream", params={"ms": 0})
    assert response.status_code == 502
    assert response.json()["detail"].startswith("upstream unreachable: ConnectError")


async def test_call_other_api_with_upstream_down_is_502(client):
    assert (await client.get("/call-other-api")).status_code == 502


@pytest.mark.e2e
@pytest.mark.parametrize("variant", VARIANTS)
async def test_upstream_too_slow_is_504(asgi_client, settings, upstream, variant):
    config = settings.model_copy(update={"upstream_url": upstream.url, "upstream_timeout_s": 0.2})
    async with asgi_client(config) as client:
        response = await client.get(f"/{variant}/upstream", params={"ms": 1000})
    assert response.status_code == 504
    assert response.json() == {"detail": "upstream timed out: ReadTimeout"}


@pytest.mark.e2e
@pytest.mark.parametrize("variant", VARIANTS)
async def test_upstream_answering_an_error_is_502(asgi_client, settings, upstream, variant):
    async with asgi_client(settings.model_copy(update={"upstream_url": f"{upstream.url}/nowhere"})) as client:
        response = await client.get(f"/{variant}/upstream", params={"ms": 0})
    assert response.status_code == 502
    assert response.json() == {"detail": "upstream answered 404"}


@pytest.mark.e2e
@pytest.mark.parametrize("variant", VARIANTS)
async def test_upstream_call_through_the_real_upstream(asgi_client, settings, upstream, variant):
    async with asgi_client(settings.model_copy(update={"upstream_url": upstream.url})) as client:
        response = await client.get(f"/{variant}/upstream", params={"ms": 20})
        assert response.json() == {"ms": 20, "status": 200}
        assert (await client.get("/call-other-api")).json() == {"status": 200}
