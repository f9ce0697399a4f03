"""The three ways of calling the same work; the one list the service and the harness share. A
cell of a user's own app has a fourth, its code as written."""

from typing import Literal, get_args

Variant = Literal["sync", "async", "async-blocking"]
VARIANTS: tuple[Variant, ...] = get_args(Variant)
AS_WRITTEN = "as-written"  # a user's own app (`asyncgap run --app`): its code as it is, one variant
CellVariant = Literal["sync", "async", "async-blocking", "as-written"]
CELL_VARIANTS: tuple[CellVariant, ...] = get_args(CellVariant)
DESCRIPTIONS: dict[Variant, str] = {
    "sync": "def endpoint doing blocking work: Starlette runs it in the thread pool",
    "async": "async def endpoint awaiting non-blocking work",
    "async-blocking": "async def endpoint calling blocking work: stalls the event loop",
}
