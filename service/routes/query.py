"""`/{variant}/query?n=`: a recursive-CTE query whose cost grows linearly with n (~0.5 s at the bound)."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from service.db import COUNT_UP
from service.deps import DatabaseDep, SqliteDep
from service.variant_routes import add_variant_routes

router = APIRouter(tags=["query"])

N = Annotated[int, Query(ge=1, le=1_000_000, description="rows the recursive CTE generates")]


class Counted(BaseModel):
    steps: int
    total: int


def query_blocking(db: SqliteDep, n: N = 20_000) -> Counted:
    with db.connect() as conn:
        steps, total = conn.execute(COUNT_UP, {"n": n}).fetchone()
    return Counted(steps=steps, total=total)


async def query_non_blocking(database: DatabaseDep, n: N = 20_000) -> Counted:
    row = await database.fetch_one(COUNT_UP, {"n": n})
    return Counted(steps=row["steps"], total=row["total"])


add_variant_routes(router, "/query", query_blocking, query_non_blocking)
