"""Query parameters shared by several routes, with the bounds that keep one request from running away."""

from typing import Annotated

from fastapi import Query

MAX_MS = 60_000

Ms = Annotated[int, Query(ge=0, le=MAX_MS, description="milliseconds to wait")]
