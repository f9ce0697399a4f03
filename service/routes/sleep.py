"""`/{variant}/sleep?ms=`: pure waiting, the textbook case (time.sleep / asyncio.sleep / time.sleep)."""

import asyncio
import time

from fastapi import APIRouter
from pydantic import BaseModel

from service.params import Ms
from service.variant_routes import add_variant_routes

router = APIRouter(tags=["sleep"])


class Slept(BaseModel):
    slept_ms: int


def sleep_blocking(ms: Ms = 100) -> Slept:
    time.sleep(ms / 1000)
    return Slept(slept_ms=ms)


async def sleep_non_blocking(ms: Ms = 100) -> Slept:
    await asyncio.sleep(ms / 1000)
    return Slept(slept_ms=ms)


add_variant_routes(router, "/sleep", sleep_blocking, sleep_non_blocking)
