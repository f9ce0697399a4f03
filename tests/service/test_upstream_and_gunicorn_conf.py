"""The fake upstream answers /delay within its bounds; gunicorn's hook forgets dead workers' gauges."""

import time
from types import SimpleNamespace

import httpx
import pytest

from service import gunicorn_conf
from service.upstream import app

pytestmark = pytest.mark.anyio


@pytest.fixture
async def upstream_client():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://upstream") as client:
        yield client


async def test_delay_waits_then_answers(upstream_client):
    started = time.perf_counter()
    response = await upstream_client.get("/delay", params={"ms": 50})
    assert response.json() == {"ms": 50}
    assert time.perf_counter() - started >= 0.05
    assert (await upstream_client.get("/delay")).json() == {"ms": 0}
    assert (await upstream_client.get("/healthz")).json() == {"status": "ok"}


@pytest.mark.parametrize("ms", ["-1", "60001", "soon", "1.5", "²"])
async def test_delay_rejects_bad_ms(upstream_client, ms):
    assert (await upstream_client.get("/delay", params={"ms": ms})).status_code == 422


def test_child_exit_drops_the_dead_workers_live_gauges(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for name in ("gauge_livemax_4242.db", "gauge_livesum_4242.db", "counter_4242.db", "gauge_livemax_7.db"):
        (tmp_path / name).touch()
    gunicorn_conf.child_exit(server=None, worker=SimpleNamespace(pid=4242))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_4242.db", "gauge_livemax_7.db"]
