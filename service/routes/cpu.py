"""`/{variant}/cpu?n=`: CPU work (thread pool, GIL-bound / a process pool / inline): async does not help."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from service.cpu import crunch
from service.deps import CpuPoolDep
from service.variant_routes import add_variant_routes

router = APIRouter(tags=["cpu"])

N = Annotated[int, Query(ge=1, le=5_000_000, description="arithmetic steps (~0.1 s per million)")]


class Crunched(BaseModel):
    n: int
    checksum: int


def cpu_blocking(n: N = 200_000) -> Crunched:
    return Crunched(n=n, checksum=crunch(n))


async def cpu_non_blocking(pool: CpuPoolDep, n: N = 200_000) -> Crunched:
    checksum = await asyncio.get_running_loop().run_in_executor(pool, crunch, n)
    return Crunched(n=n, checksum=checksum)


add_variant_routes(router, "/cpu", cpu_blocking, cpu_non_blocking, awaits="pool")
