"""`service.app:app`: the demo service whose endpoints do the same work in three styles.

Start it plainly (`uvicorn service.app:app`, the schema is created at startup) or through
`python -m service.serve SETUP` (a prestart step creates it once, before the workers).
"""

import gc
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI

from asyncgap.watch.watchdog import watching
from service.errors import EXCEPTION_HANDLERS
from service.metrics import TOKENS_TOTAL, forget_worker, worker
from service.middleware import RequestMetrics
from service.prestart import prepare
from service.probe import probing
from service.resources import opened
from service.routes import ROUTERS
from service.settings import Settings, settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open everything once per worker; close it all so the process exits promptly on SIGTERM."""
    config: Settings = app.state.settings
    if config.create_schema:
        prepare(config)
    # anyio's limiter belongs to the running loop, so it can only be sized here.
    to_thread.current_default_thread_limiter().total_tokens = config.thread_tokens
    TOKENS_TOTAL.labels(worker()).set(config.thread_tokens)
    async with AsyncExitStack() as stack:
        app.state.resources = await stack.enter_async_context(opened(config))
        if config.instrument:
            await stack.enter_async_context(probing())
            if config.watchdog:
                await stack.enter_async_context(watching(config.block_threshold_ms / 1000))
        if config.freeze_heap:
            # What is opened so far lives as long as the worker: out of the collector's sight,
            # so that a full collection no longer walks the app's startup objects, which stalled
            # the loop for tens of milliseconds every few seconds under load (docs/findings.md).
            gc.freeze()
            stack.callback(gc.unfreeze)
        yield
    forget_worker()


def create_app(config: Settings = settings) -> FastAPI:
    app = FastAPI(
        title="asyncgap demo service",
        summary="The same work written three ways: sync, async and async-blocking.",
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.state.settings = config
    for router in ROUTERS:
        app.include_router(router)
    if config.instrument:
        app.add_middleware(RequestMetrics)
    return app


app = create_app()
