"""`app = watched(app)`: the watchdog for any ASGI app on asyncio, without touching its code.

The watchdog starts with the app's lifespan and stops when the lifespan ends. A server that
runs no lifespan (uvicorn --lifespan off), or an app that refuses one (it raises before
answering startup, and the server goes on without it), gets the watchdog at its first request
instead: it then lives as long as the process, and its file is removed at exit.
"""

import atexit
import os
from pathlib import Path

from anyio import to_thread

from asyncgap.watch.watchdog import DEFAULT_THRESHOLD_S, Watchdog, start_watchdog

_HERE = os.path.realpath(__file__)


class Watched:
    """An ASGI app that runs the watchdog while the app it wraps lives."""

    def __init__(
        self,
        app,
        *,
        thread_tokens: int | None = None,
        threshold_s: float = DEFAULT_THRESHOLD_S,
        directory: Path | None = None,
    ) -> None:
        self.app = app
        self.thread_tokens = thread_tokens  # anyio's thread limiter, set when the watchdog starts
        self.threshold_s = threshold_s
        self.directory = directory
        self.watchdog: Watchdog | None = None  # while it runs

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if self.watchdog is None:  # no lifespan ran: watch from the first request to the exit
            atexit.register(self._stop, self._start())
        await self.app(scope, receive, send)

    async def _lifespan(self, scope, receive, send) -> None:
        dog = self._start()
        try:
            await self.app(scope, receive, send)
        finally:
            self._stop(dog)

    def _start(self) -> Watchdog:
        """Start the watchdog on the running loop (from its thread), with the setup's tokens."""
        if self.thread_tokens is not None:
            to_thread.current_default_thread_limiter().total_tokens = self.thread_tokens
        dog = start_watchdog(self.threshold_s, self.directory)
        # This wrapper is on every stack: it is not the app's code, whatever folder it is in
        # (an editable checkout, a copy beside the app), and must never be named as a call site.
        dog.namer.skip_files.add(_HERE)
        self.watchdog = dog
        return dog

    def _stop(self, dog: Watchdog) -> None:
        dog.stop()
        if self.watchdog is dog:
            self.watchdog = None


def watched(app, **options) -> Watched:
    """`app` with the watchdog running while it lives (options: those of `Watched`); its file goes
    to `directory` (default: ASYNCGAP_METRICS_DIR, else PROMETHEUS_MULTIPROC_DIR, else none)."""
    return Watched(app, **options)
