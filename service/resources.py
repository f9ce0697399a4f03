"""What the lifespan opens once per worker and closes on exit.

All of it must be closed: an unclosed aiosqlite connection keeps a non-daemon thread that
holds the process at exit (uvicorn re-raises SIGTERM, which kills it anyway, but Ctrl-C
and other exits wait for the thread), database pools hold server connections, and pool
children would outlive their worker.
"""

import ssl
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import cache
from multiprocessing import get_context

import httpx

from service.settings import Settings
from service.store import Store, opened_store

# One keep-alive connection per concurrent call, as a service tuned for its load would keep. With
# httpcore 1.0.9 this is what makes `async` collapse past one core: every pool pass polls every
# idle connection (docs/findings.md, "async loses the upstream scenario"). Kept: the pack shows the trap.
HTTP_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=200)


@cache
def _ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle takes ~30 ms: do it once per process, for both clients."""
    return httpx.create_ssl_context()


@dataclass(frozen=True)
class Resources:
    store: Store  # the database work, blocking and non-blocking (SQLite or PostgreSQL)
    http: httpx.Client  # sync and async-blocking variants (thread-safe, shared)
    async_http: httpx.AsyncClient  # async variant and /call-other-api: one shared client
    cpu_pool: ProcessPoolExecutor  # async variant of /cpu


@asynccontextmanager
async def opened(config: Settings) -> AsyncIterator[Resources]:
    http_options = {
        "base_url": config.upstream_url,
        "timeout": httpx.Timeout(config.upstream_timeout_s, connect=config.upstream_connect_timeout_s),
        "limits": HTTP_LIMITS,
        "verify": _ssl_context(),
    }
    async with AsyncExitStack() as stack:
        store = await stack.enter_async_context(opened_store(config))
        http = stack.enter_context(httpx.Client(**http_options))
        async_http = await stack.enter_async_context(httpx.AsyncClient(**http_options))
        # spawn, not fork: forking a process that runs an event loop and threads is unsafe.
        # Children start on first use, so an app that never computes pays nothing.
        cpu_pool = ProcessPoolExecutor(config.cpu_processes, mp_context=get_context("spawn"))
        stack.callback(cpu_pool.shutdown, wait=True, cancel_futures=True)
        yield Resources(store, http, async_http, cpu_pool)
