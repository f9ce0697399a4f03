"""Fixtures for the service tests: an in-process ASGI client per test, real servers for e2e."""

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from asyncgap.engines.server import RunningServer, free_port, serving
from service.app import create_app
from service.settings import Settings

ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'asyncgap.db'}"


@pytest.fixture
def settings(db_url: str) -> Settings:
    """A temp database and an upstream URL where nothing listens (so upstream calls fail fast)."""
    return Settings(database_url=db_url, upstream_url=f"http://127.0.0.1:{free_port()}", cpu_processes=1)


@pytest.fixture(scope="session")
def asgi_client() -> ClientFactory:
    """`async with asgi_client(settings) as client`: the app with its lifespan, called in-process."""

    @asynccontextmanager
    async def open_client(config: Settings) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(config)
        transport = httpx.ASGITransport(app=app)
        try:
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(transport=transport, base_url="http://asgi") as client,
            ):
                yield client
        finally:  # a failing test too: its threads must not raise into the next one
            await anyio.to_thread.run_sync(join_aiosqlite_threads)

    return open_client


def join_aiosqlite_threads(timeout_s: float = 10) -> None:
    """Wait, while the test's loop still runs, for aiosqlite threads to end.

    After a failed connect aiosqlite queues its thread's stop without awaiting it; if the loop
    closes first, the thread raises "Event loop is closed" into a later test (aiosqlite#241).
    """
    for thread in threading.enumerate():
        if thread.name.endswith("(_connection_worker_thread)"):
            thread.join(timeout_s)


@pytest.fixture
async def client(asgi_client: ClientFactory, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(settings) as client:
        yield client


@pytest.fixture(scope="session")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The real fake upstream, one for the session."""
    log = tmp_path_factory.mktemp("upstream") / "upstream.log"
    with serving("upstream", port=free_port(), log_path=log) as server:
        yield server


@pytest.fixture
def server_env(db_url: str, upstream: RunningServer) -> dict[str, str]:
    """Env for a real service: its own database (service.serve prepares it), the session's upstream."""
    return {"ASYNCGAP_DATABASE_URL": db_url, "ASYNCGAP_UPSTREAM_URL": upstream.url}


@pytest.fixture
def scrape() -> Callable[[str, str], dict[str, float]]:
    """`scrape(base_url, name)` -> {worker pid: value}; unlabelled metrics come back as {"": value}."""

    def read(base_url: str, name: str) -> dict[str, float]:
        text = httpx.get(f"{base_url}/metrics", timeout=10).text
        return {
            sample.labels.get("worker", ""): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name
        }

    return read
