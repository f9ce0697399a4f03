"""The event-loop lag probe: a task that sleeps 50 ms and measures how late it wakes.

A late wake-up is time the loop spent on something else (an `async-blocking` endpoint, a
GIL-bound thread); no request has to be in flight to see it. The gauge holds the worst lag
of the last second, so a scrape every second or so misses no stall; each wake also samples
the busy thread-pool tokens and publishes the request tally.
"""

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from anyio import to_thread

from service.metrics import LOOP_LAG, TALLY, TOKENS_BUSY, worker

INTERVAL_S = 0.05
WINDOW_S = 1.0


async def watch_event_loop() -> None:
    loop = asyncio.get_running_loop()
    limiter = to_thread.current_default_thread_limiter()
    lag_gauge = LOOP_LAG.labels(worker())
    busy_gauge = TOKENS_BUSY.labels(worker())
    recent: deque[tuple[float, float]] = deque()  # (woke at, lag)
    while True:
        due = loop.time() + INTERVAL_S
        await asyncio.sleep(INTERVAL_S)
        now = loop.time()
        recent.append((now, max(0.0, now - due)))
        while recent[0][0] < now - WINDOW_S:
            recent.popleft()
        lag_gauge.set(max(lag for _, lag in recent))
        busy_gauge.set(limiter.borrowed_tokens)
        TALLY.publish()


@asynccontextmanager
async def probing() -> AsyncIterator[None]:
    """Run the probe for the life of the app; publish the last requests when it stops."""
    task = asyncio.create_task(watch_event_loop(), name="asyncgap-loop-lag-probe")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        TALLY.publish()
