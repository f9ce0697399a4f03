"""The three ways of calling the same work; the one list the service and the harness share."""

from typing import Literal, get_args

Variant = Literal["sync", "async", "async-blocking"]
VARIANTS: tuple[Variant, ...] = get_args(Variant)
DESCRIPTIONS: dict[Variant, str] = {
    "sync": "def endpoint doing blocking work: Starlette runs it in the thread pool",
    "async": "async def endpoint awaiting non-blocking work",
    "async-blocking": "async def endpoint calling blocking work: stalls the event loop",
}
