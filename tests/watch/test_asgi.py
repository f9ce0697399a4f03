"""asyncgap.watch's ASGI wrapper: the watchdog with the app's lifespan, or from its first request
when no lifespan runs (then until the process exits), never named as a call site itself."""

import asyncio
import os
import time

import httpx
import pytest
from fastapi import FastAPI

from asyncgap.watch import asgi, watched, watchfile

THIS = "tests/watch/test_asgi.py"


def own_file(directory) -> bool:
    return watchfile.path_for(directory, os.getpid()).exists()


@pytest.fixture
def at_exit(monkeypatch) -> list:
    """What the wrapper registers to run at exit, run by the test instead (others' go through)."""
    registered: list = []
    register = asgi.atexit.register

    def keep(func, *args):
        if isinstance(getattr(func, "__self__", None), asgi.Watched):
            return registered.append((func, args))
        return register(func, *args)

    monkeypatch.setattr(asgi.atexit, "register", keep)
    return registered


def blocking_app() -> FastAPI:
    app = FastAPI()

    @app.get("/block")
    async def block() -> dict[str, bool]:
        time.sleep(0.3)
        return {"blocked": True}

    return app


@pytest.mark.anyio
async def test_without_a_lifespan_the_first_request_starts_the_watchdog_until_exit(tmp_path, at_exit):
    app = watched(blocking_app(), directory=tmp_path)
    assert app.watchdog is None
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
        for _ in range(2):  # httpx's transport runs no lifespan, as uvicorn --lifespan off
            assert (await client.get("/block")).status_code == 200
            await asyncio.sleep(0.05)
        dog = app.watchdog
        await asyncio.sleep(0.3)  # a write after the last stall
        assert own_file(tmp_path)
    assert len(at_exit) == 1  # one watchdog for both requests
    blocked = dog.watch.loop.get("time.sleep", {})  # two requests of 0.3 s each, named in this file
    assert sum(blocked.values()) > 0.4 and all(site.startswith(f"{THIS}:") for site in blocked)
    assert not dog.namer.is_app(asgi.Watched.__call__.__code__)
    func, args = at_exit[0]
    func(*args)  # the process exits
    assert app.watchdog is None and not own_file(tmp_path)


@pytest.mark.anyio
async def test_an_app_that_refuses_the_lifespan_is_watched_from_its_first_request(tmp_path, at_exit):
    async def no_lifespan(scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            raise RuntimeError("no lifespan here")  # the server logs it and goes on without one
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = watched(no_lifespan, directory=tmp_path)
    with pytest.raises(RuntimeError):
        await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, None, None)
    assert app.watchdog is None and not own_file(tmp_path) and at_exit == []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
        assert (await client.get("/")).status_code == 204
    assert app.watchdog is not None and len(at_exit) == 1
    func, args = at_exit[0]
    func(*args)
    assert app.watchdog is None


@pytest.mark.anyio
async def test_with_a_lifespan_requests_start_no_second_watchdog(tmp_path, at_exit):
    events: asyncio.Queue = asyncio.Queue()
    started = asyncio.Event()
    await events.put({"type": "lifespan.startup"})

    async def send(message) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    app = watched(blocking_app(), directory=tmp_path, thread_tokens=9)
    lifespan = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, events.get, send)
    )
    await started.wait()
    dog = app.watchdog
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
        assert (await client.get("/block")).status_code == 200
    assert app.watchdog is dog and at_exit == []
    assert dog._limiter.total_tokens == 9
    await events.put({"type": "lifespan.shutdown"})
    await lifespan
    assert app.watchdog is None and not own_file(tmp_path)
