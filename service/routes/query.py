"""`/{variant}/query?n=&ms=`: a recursive-CTE query whose cost grows linearly with n (SQLite ~0.5 s
at n=1e6); on PostgreSQL, `ms` makes the query wait that long inside the database first."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from service.deps import StoreDep
from service.params import MAX_MS
from service.store import Store
from service.variant_routes import add_variant_routes

router = APIRouter(tags=["query"])

N = Annotated[int, Query(ge=1, le=1_000_000, description="rows the recursive CTE generates")]
WaitMs = Annotated[int, Query(ge=0, le=MAX_MS, description="PostgreSQL: ms to wait inside the database")]


NO_WAIT = "SQLite runs in-process: no server to wait in (PostgreSQL only)"


class Counted(BaseModel):
    steps: int
    total: int


def _wait_s(store: Store, ms: int) -> float:
    if ms and not store.can_wait:  # a 422 shaped like every other bad parameter's, as the schema says
        raise RequestValidationError([{"loc": ("query", "ms"), "type": "value_error", "msg": NO_WAIT}])
    return ms / 1000


def query_blocking(store: StoreDep, n: N = 20_000, ms: WaitMs = 0) -> Counted:
    steps, total = store.count_up(n, _wait_s(store, ms))
    return Counted(steps=steps, total=total)


async def query_non_blocking(store: StoreDep, n: N = 20_000, ms: WaitMs = 0) -> Counted:
    steps, total = await store.count_up_async(n, _wait_s(store, ms))
    return Counted(steps=steps, total=total)


add_variant_routes(router, "/query", query_blocking, query_non_blocking, awaits="db")
