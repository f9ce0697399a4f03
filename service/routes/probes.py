"""`/healthz`, `/fast` and `/metrics`: what the harness polls, probes and scrapes."""

from typing import Literal

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from asyncgap.core.names import FAST
from asyncgap.core.stations import declare
from service.deps import StoreDep
from service.metrics import render

router = APIRouter(tags=["probes"])


class Health(BaseModel):
    status: Literal["ok"]


@router.get("/healthz", openapi_extra=declare("delay"))
async def healthz(store: StoreDep) -> Health:
    """200 once the lifespan opened everything and the database answers (a DB fault is a 503)."""
    await store.ping()
    return Health(status="ok")


@router.get(FAST, openapi_extra=declare("loop"))
async def fast() -> dict[str, bool]:
    """No I/O, tiny JSON: its latency shows how long a request waits for the event loop."""
    return {"fast": True}


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    return Response(render(), media_type=CONTENT_TYPE_LATEST)
