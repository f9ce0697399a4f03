"""`service.upstream:app`: the fake external API behind `/{variant}/upstream` and `/call-other-api`.

Plain Starlette rather than FastAPI: it shares the machine with the service under test, so
it does as little as possible per request; it only awaits, so it is never the bottleneck.
"""

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from service.params import MAX_MS


async def delay(request: Request) -> JSONResponse:
    """GET /delay?ms=: answer after `ms` milliseconds (0 to 60000)."""
    try:
        ms = int(request.query_params.get("ms", "0"))
    except ValueError:
        ms = -1
    if not 0 <= ms <= MAX_MS:
        return JSONResponse({"detail": f"ms must be an integer from 0 to {MAX_MS}"}, status_code=422)
    await asyncio.sleep(ms / 1000)
    return JSONResponse({"ms": ms})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/delay", delay), Route("/healthz", healthz)])
