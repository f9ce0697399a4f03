"""Every route x variant through the ASGI app: answers, bounds (422) and unknown variants (404);
on SQLite and on a real throwaway PostgreSQL cluster (the same routes, the same contract)."""

import time

import pytest

from asyncgap.core.variants import VARIANTS
from asyncgap.engines.server import free_port
from service.settings import Settings

pytestmark = pytest.mark.anyio

WORK = ["sleep", "notes", "query", "upstream", "cpu"]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def database_url(request, tmp_path_factory) -> str:
    if request.param == "postgres":
        return request.getfixturevalue("pg_cluster").dsn
    return f"sqlite:///{tmp_path_factory.mktemp('routes') / 'asyncgap.db'}"


@pytest.fixture(scope="module")
async def client(asgi_client, database_url):
    """One app for the module: these tests only add notes and compare with what they added."""
    config = Settings(
        database_url=database_url, upstream_url=f"http://127.0.0.1:{free_port()}", cpu_processes=1
    )
    async with asgi_client(config) as client:
        yield client


@pytest.mark.parametrize("variant", VARIANTS)
async def test_sleep(client, variant):
    response = await client.get(f"/{variant}/sleep", params={"ms": 5})
    assert response.status_code == 200
    assert response.json() == {"slept_ms": 5}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("ms", ["-1", "60001", "abc", "1.5"])
async def test_sleep_rejects_bad_ms(client, variant, ms):
    response = await client.get(f"/{variant}/sleep", params={"ms": ms})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "ms"]


@pytest.mark.parametrize("variant", VARIANTS)
async def test_notes_written_then_read_newest_first(client, variant):
    ids = []
    for text in ("first", "second", "third"):
        response = await client.post(f"/{variant}/notes", json={"text": text})
        assert response.status_code == 201
        assert response.json()["text"] == text
        ids.append(response.json()["id"])
    response = await client.get(f"/{variant}/notes", params={"limit": 2})
    assert response.status_code == 200
    assert response.json() == [{"id": ids[2], "text": "third"}, {"id": ids[1], "text": "second"}]


async def test_notes_written_by_one_variant_are_read_by_the_others(client):
    await client.post("/async/notes", json={"text": "shared"})
    for variant in VARIANTS:
        assert (await client.get(f"/{variant}/notes")).json()[0]["text"] == "shared"


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize(
    "body", [{}, {"text": ""}, {"text": "x" * 1001}, {"text": 12}, {"note": "x"}], ids=repr
)
async def test_notes_rejects_bad_bodies(client, variant, body):
    response = await client.post(f"/{variant}/notes", json=body)
    assert response.status_code == 422


@pytest.mark.parametrize("variant", VARIANTS)
async def test_notes_rejects_non_json(client, variant):
    response = await client.post(f"/{variant}/notes", content=b"text=x")
    assert response.status_code == 422


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("limit", ["0", "101", "x"])
async def test_notes_rejects_bad_limit(client, variant, limit):
    assert (await client.get(f"/{variant}/notes", params={"limit": limit})).status_code == 422


@pytest.mark.parametrize("variant", VARIANTS)
async def test_query_counts_up_to_n(client, variant):
    response = await client.get(f"/{variant}/query", params={"n": 1000})
    assert response.status_code == 200
    assert response.json() == {"steps": 1000, "total": 1000 * 1001 // 2}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("n", ["0", "1000001", "many"])
async def test_query_rejects_bad_n(client, variant, n):
    assert (await client.get(f"/{variant}/query", params={"n": n})).status_code == 422


@pytest.mark.parametrize("variant", VARIANTS)
async def test_cpu_gives_the_same_answer_every_way(client, variant):
    response = await client.get(f"/{variant}/cpu", params={"n": 1000})
    assert response.status_code == 200
    assert response.json() == {"n": 1000, "checksum": sum(i * i for i in range(1000)) % 1_000_003}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("n", ["0", "5000001", "-3"])
async def test_cpu_rejects_bad_n(client, variant, n):
    assert (await client.get(f"/{variant}/cpu", params={"n": n})).status_code == 422


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("ms", ["-1", "60001"])
async def test_upstream_rejects_bad_ms(client, variant, ms):
    assert (await client.get(f"/{variant}/upstream", params={"ms": ms})).status_code == 422


@pytest.mark.parametrize("work", WORK)
@pytest.mark.parametrize("variant", ["blocking", "Sync", "async_blocking", ""])
async def test_unknown_variant_is_404(client, variant, work):
    assert (await client.get(f"/{variant}/{work}")).status_code == 404


@pytest.mark.parametrize("variant", VARIANTS)
async def test_wrong_method_is_405(client, variant):
    assert (await client.post(f"/{variant}/sleep")).status_code == 405


async def test_fast_and_healthz(client):
    assert (await client.get("/fast")).json() == {"fast": True}
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_openapi_lists_every_variant_route(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert {f"/{v}/{w}" for v in VARIANTS for w in WORK} <= set(paths)
    assert "post" in paths["/sync/notes"] and "get" in paths["/sync/notes"]


@pytest.mark.parametrize("path", ["/slow-blocking", "/slow-non-blocking"])
async def test_tutorial_slow_endpoints_take_seconds(client, path):
    response = await client.get(path, params={"seconds": 0.01})
    assert response.status_code == 200
    assert "0.01 s" in response.json()["message"]


@pytest.mark.parametrize("path", ["/slow-blocking", "/slow-non-blocking"])
@pytest.mark.parametrize("seconds", ["-1", "61", "soon"])
async def test_tutorial_slow_endpoints_reject_bad_seconds(client, path, seconds):
    assert (await client.get(path, params={"seconds": seconds})).status_code == 422


async def test_tutorial_slow_endpoints_default_to_five_seconds(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("/slow-blocking", "/slow-non-blocking"):
        (seconds,) = paths[path]["get"]["parameters"]
        assert (seconds["name"], seconds["schema"]["default"]) == ("seconds", 5)


async def test_tutorial_hello_and_notes(client):
    assert (await client.get("/hello")).json() == {"message": "Hello World"}
    note = (await client.post("/sync/notes", json={"text": "from the tutorial"})).json()
    assert (await client.get("/notes/")).json()[0] == note


@pytest.mark.parametrize("variant", VARIANTS)
async def test_query_waits_inside_postgres_and_sqlite_says_it_cannot(client, database_url, variant):
    started = time.monotonic()
    response = await client.get(f"/{variant}/query", params={"n": 10, "ms": 30})
    if database_url.startswith("sqlite"):
        assert response.status_code == 422
        (error,) = response.json()["detail"]
        assert (error["loc"], "PostgreSQL only" in error["msg"]) == (["query", "ms"], True)
    else:
        assert response.status_code == 200
        assert response.json() == {"steps": 10, "total": 55}
        assert time.monotonic() - started >= 0.03
