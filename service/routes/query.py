"""`/{variant}/query?n=`: a recursive-CTE query whose cost grows linearly with n (SQLite ~0.5 s at n=1e6)."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from service.deps import StoreDep
from service.variant_routes import add_variant_routes

router = APIRouter(tags=["query"])

N = Annotated[int, Query(ge=1, le=1_000_000, description="rows the recursive CTE generates")]


class Counted(BaseModel):
    steps: int
    total: int


def query_blocking(store: StoreDep, n: N = 20_000) -> Counted:
    steps, total = store.count_up(n)
    return Counted(steps=steps, total=total)


async def query_non_blocking(store: StoreDep, n: N = 20_000) -> Counted:
    steps, total = await store.count_up_async(n)
    return Counted(steps=steps, total=total)


add_variant_routes(router, "/query", query_blocking, query_non_blocking, awaits="db")
