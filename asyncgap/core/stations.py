"""Where a request spends its service time: declared by each route, read by the model.

A route declares its station in its OpenAPI operation (`x-asyncgap-station`), so the
harness learns it from the running server's /openapi.json, for this service or any
FastAPI app that declares it, and never guesses it from a URL.

- `threads`: a `def` endpoint holds one of its worker's thread-pool tokens;
- `loop`:    an `async def` doing blocking (or any CPU) work holds its worker's one event loop;
- `pool`:    CPU work awaited in a process pool holds one of its processes;
- `db`:      awaited database work holds one of its worker's database connections (asyncpg's
             pool; SQLite through `databases` opens one per query, so it has no ceiling there);
- `delay`:   awaited non-blocking I/O holds nothing the server has few of.
"""

from typing import Literal, get_args

Station = Literal["threads", "loop", "pool", "delay", "db"]
STATIONS: tuple[Station, ...] = get_args(Station)
OPENAPI_KEY = "x-asyncgap-station"


def declare(station: Station) -> dict[str, str]:
    """The route option that declares a station: `@router.get(..., openapi_extra=declare("loop"))`."""
    return {OPENAPI_KEY: station}
