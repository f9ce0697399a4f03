"""Faults become short answers with a message, never a 500 traceback.

- database locked past the busy timeout, or unavailable -> 503 (retry later; nothing was acknowledged);
- upstream unreachable or answering an error -> 502; upstream too slow -> 504;
- the CPU process pool broken (a child was killed) -> 503.
Starlette picks the handler of the most specific class, so TimeoutException (a TransportError) gets 504.
"""

import sqlite3
from concurrent.futures.process import BrokenProcessPool

import httpx
from fastapi import Request
from fastapi.responses import JSONResponse


def _answer(status: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status)


async def database_error(request: Request, exc: sqlite3.Error) -> JSONResponse:
    if "locked" in str(exc):  # SQLITE_BUSY: the busy timeout ran out
        waited = request.app.state.settings.busy_timeout_s
        return _answer(503, f"database busy: still locked after {waited:g} s ({exc}); retry later")
    return _answer(503, f"database unavailable: {exc}")


async def upstream_timeout(request: Request, exc: httpx.TimeoutException) -> JSONResponse:
    return _answer(504, f"upstream timed out: {type(exc).__name__}")


async def upstream_unreachable(request: Request, exc: httpx.TransportError) -> JSONResponse:
    return _answer(502, f"upstream unreachable: {type(exc).__name__}: {exc}")


async def upstream_error(request: Request, exc: httpx.HTTPStatusError) -> JSONResponse:
    return _answer(502, f"upstream answered {exc.response.status_code}")


async def pool_broken(request: Request, exc: BrokenProcessPool) -> JSONResponse:
    return _answer(503, f"cpu process pool unavailable: {exc}")


EXCEPTION_HANDLERS = {
    sqlite3.Error: database_error,
    httpx.TimeoutException: upstream_timeout,
    httpx.TransportError: upstream_unreachable,
    httpx.HTTPStatusError: upstream_error,
    BrokenProcessPool: pool_broken,
}
