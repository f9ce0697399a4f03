"""`/{variant}/upstream?ms=`: an outbound HTTP call to the upstream's /delay (httpx.Client / AsyncClient)."""

from fastapi import APIRouter
from pydantic import BaseModel

from service.deps import AsyncHttpDep, HttpDep
from service.params import Ms
from service.variant_routes import add_variant_routes

router = APIRouter(tags=["upstream"])

DELAY = "/delay"


class Called(BaseModel):
    ms: int
    status: int


def upstream_blocking(http: HttpDep, ms: Ms = 100) -> Called:
    response = http.get(DELAY, params={"ms": ms}).raise_for_status()
    return Called(ms=ms, status=response.status_code)


async def upstream_non_blocking(http: AsyncHttpDep, ms: Ms = 100) -> Called:
    response = (await http.get(DELAY, params={"ms": ms})).raise_for_status()
    return Called(ms=ms, status=response.status_code)


add_variant_routes(router, "/upstream", upstream_blocking, upstream_non_blocking)
