"""Faults become short answers with a message, never a 500 traceback.

- database locked past the busy timeout, or unavailable -> 503 (retry later; nothing was acknowledged);
  PostgreSQL down, restarting or refusing connections too (psycopg, asyncpg, or the refused socket);
- upstream unreachable or answering an error -> 502; upstream too slow -> 504;
- the CPU process pool broken (a child was killed) -> 503.
Starlette picks the handler of the most specific class, so TimeoutException (a TransportError) gets 504.
"""

import sqlite3
from concurrent.futures.process import BrokenProcessPool

import asyncpg
import httpx
import psycopg
from fastapi import Request
from fastapi.responses import JSONResponse


def _answer(status: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status)


async def database_error(request: Request, exc: sqlite3.Error) -> JSONResponse:
    if "locked" in str(exc):  # SQLITE_BUSY: the busy timeout ran out
        waited = request.app.state.settings.busy_timeout_s
        return _answer(503, f"database busy: still locked after {waited:g} s ({exc}); retry later")
    return _answer(503, f"database unavailable: {exc}")


async def postgres_unavailable(request: Request, exc: Exception) -> JSONResponse:
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return _answer(503, f"database unavailable: {type(exc).__name__}: {first_line}")


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
    psycopg.Error: postgres_unavailable,
    asyncpg.PostgresError: postgres_unavailable,
    asyncpg.InterfaceError: postgres_unavailable,
    # A connection lost mid-query leaves asyncpg's protocol mid-operation ("cannot switch to state
    # 12; another operation is in progress"): found by the kill test, a 500 until handled here.
    asyncpg.InternalClientError: postgres_unavailable,
    ConnectionError: postgres_unavailable,  # asyncpg's pool reconnecting to a server that is down
    httpx.TimeoutException: upstream_timeout,
    httpx.TransportError: upstream_unreachable,
    httpx.HTTPStatusError: upstream_error,
    BrokenProcessPool: pool_broken,
}
