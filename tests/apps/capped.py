"""A small FastAPI app with the three troubles `asyncgap run --app` must tell apart.

- GET /pooled: a `def` route behind a sync generator dependency that checks a connection out of
  a pool of POOL_SIZE (a BoundedSemaphore standing for SQLAlchemy's pool) and holds it HOLD_S:
  under load, threads queue on the pool long before the 40 thread tokens run out.
- GET /login: an `async def` route that hashes a password with hashlib.scrypt on the event loop
  (a C extension: the loop is blocked while it runs, past the watchdog's 20 ms even on a fast day).
- GET /ready: an `async def` route that awaits asyncio.sleep: truly non-blocking.
- GET /reports/summary: an `async def` handler on an included router whose own dependency is a
  `def`: the handler runs on the loop, yet each request makes one hop to the pool.
- GET /health: 200 once FIXTURE_SECRET is set (the tests pass it with --env or --env-file; its
  value is never shown), 503 before.
"""

import asyncio
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Response

POOL_SIZE = 5
HOLD_S = 0.02
SLEEP_S = 0.02
POOL = threading.BoundedSemaphore(POOL_SIZE)

app = FastAPI(title="capped: the fixture app")
reports = APIRouter(prefix="/reports")


def settings() -> dict[str, str]:
    """A plain `def` dependency: FastAPI runs it in the thread pool too."""
    return {"region": os.environ.get("FIXTURE_REGION", "local")}


def connection() -> Iterator[int]:
    """Check a connection out of the pool for the request; give it back in the teardown."""
    POOL.acquire()
    try:
        yield 1
    finally:
        POOL.release()


@app.get("/pooled")
def pooled(
    conn: Annotated[int, Depends(connection)], config: Annotated[dict, Depends(settings)]
) -> dict[str, object]:
    time.sleep(HOLD_S)  # the query, holding its connection
    return {"rows": conn, "region": config["region"]}


@app.get("/login")
async def login() -> dict[str, int]:
    digest = hashlib.scrypt(b"correct horse", salt=b"battery staple", n=2**14, r=8, p=1)
    return {"hashed": len(digest)}


@app.get("/ready")
async def ready() -> dict[str, bool]:
    await asyncio.sleep(SLEEP_S)
    return {"ready": True}


@app.get("/items/{item_id}")
async def item(item_id: int) -> dict[str, int]:
    """Needs a path parameter: a generated mix leaves it out."""
    return {"item_id": item_id}


@app.get("/health")
async def health(response: Response) -> dict[str, str]:
    if not os.environ.get("FIXTURE_SECRET"):
        response.status_code = 503
        return {"status": "FIXTURE_SECRET is not set"}
    return {"status": "ok"}


def audit() -> None:
    """A router-level `def` dependency: one hop to the pool for every route of the router."""


@reports.get("/summary")
async def summary() -> dict[str, int]:
    return {"reports": 0}


app.include_router(reports, dependencies=[Depends(audit)])
