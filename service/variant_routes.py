"""One piece of work, three endpoints: the variant decides only how the work is called.

- `sync`: the blocking form as a plain `def`; FastAPI runs it in the thread pool;
- `async`: the non-blocking form, an `async def` awaited on the event loop;
- `async-blocking`: an `async def` calling the *same* blocking form inline, stalling the loop.

Routes are registered explicitly per variant (`/sync/sleep`, ...), so an unknown variant is
a 404 rather than a 422 from a path parameter.
"""

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter

from asyncgap.core.stations import Station, declare
from asyncgap.core.variants import VARIANTS, Variant

Blocking = Callable[..., Any]
NonBlocking = Callable[..., Awaitable[Any]]


def endpoint(variant: Variant, blocking: Blocking, non_blocking: NonBlocking) -> Callable[..., Any]:
    if variant == "sync":
        return blocking
    if variant == "async":
        return non_blocking

    async def inline(**params: Any) -> Any:
        return blocking(**params)

    # FastAPI reads the parameters, dependencies and response model from this signature.
    inline.__signature__ = inspect.signature(blocking)  # type: ignore[attr-defined]
    inline.__name__ = f"{blocking.__name__}_inline"
    return inline


def station(variant: Variant, awaits: Station) -> Station:
    """Where a variant holds its request: `sync` a thread token, `async-blocking` the loop,
    `async` whatever its non-blocking form awaits (`delay` for I/O, `pool` for CPU work, `db`
    for a database connection)."""
    return {"sync": "threads", "async-blocking": "loop"}.get(variant, awaits)


def add_variant_routes(
    router: APIRouter,
    path: str,
    blocking: Blocking,
    non_blocking: NonBlocking,
    *,
    awaits: Station = "delay",
    **route_options: Any,
) -> None:
    """Register `/{variant}{path}` for every variant, each declaring its station."""
    for variant in VARIANTS:
        router.add_api_route(
            f"/{variant}{path}",
            endpoint(variant, blocking, non_blocking),
            name=f"{variant}{path}",
            openapi_extra=declare(station(variant, awaits)),
            **route_options,
        )
