"""The endpoints of FastAPI's async tutorial, with its semantics: users arrive with that page in mind.

Deviations, both for safety under load: `?seconds=` (0-60) overrides the 5 s sleeps, `/notes/`
returns the newest `?limit=` notes instead of the whole table, and `/call-other-api` calls the
local upstream (`/delay?ms=0`) so no internet is needed.
"""

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from asyncgap.core.stations import declare
from service.deps import AsyncHttpDep
from service.routes.notes import list_notes_non_blocking
from service.routes.upstream import DELAY

router = APIRouter(tags=["tutorial"])

Seconds = Annotated[float, Query(ge=0, le=60, description="how long to sleep (the tutorial: 5)")]


class Message(BaseModel):
    message: str


class Status(BaseModel):
    status: int


@router.get("/slow-blocking", openapi_extra=declare("threads"))
def slow_blocking(seconds: Seconds = 5) -> Message:
    """`def` + time.sleep: runs in the thread pool, so the event loop stays free."""
    time.sleep(seconds)
    return Message(message=f"slept {seconds:g} s in a worker thread")


@router.get("/slow-non-blocking", openapi_extra=declare("delay"))
async def slow_non_blocking(seconds: Seconds = 5) -> Message:
    """`async def` + asyncio.sleep: waits without holding anything."""
    await asyncio.sleep(seconds)
    return Message(message=f"awaited {seconds:g} s on the event loop")


@router.get("/hello", openapi_extra=declare("loop"))  # no I/O: its only cost is loop time
async def hello() -> Message:
    return Message(message="Hello World")


router.add_api_route(
    "/notes/", list_notes_non_blocking, name="tutorial-notes", openapi_extra=declare("delay")
)


@router.get("/call-other-api", openapi_extra=declare("delay"))
async def call_other_api(http: AsyncHttpDep) -> Status:
    """One shared AsyncClient (the tutorial opens one per call; the lifespan one reuses connections)."""
    response = await http.get(DELAY, params={"ms": 0})
    return Status(status=response.status_code)
