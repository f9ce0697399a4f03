"""The three ways of calling the same work; the one list the service and the harness share."""

from typing import Literal, get_args

Variant = Literal["sync", "async", "async-blocking"]
VARIANTS: tuple[Variant, ...] = get_args(Variant)
