"""The event-loop watchdog: who blocked the loop, and what busy thread-pool threads did.

Any asyncio or ASGI app can use it (`app = watched(app)` for an ASGI app, `async with watching():`
in an asyncio program; `from asyncgap.watch import ...`): it needs the
standard library and anyio only, and imports nothing else of asyncgap.
"""

from asyncgap.watch.asgi import watched
from asyncgap.watch.watchdog import watching

__all__ = ["watched", "watching"]
