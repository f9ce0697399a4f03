"""The Prometheus metrics the harness reads, and their text for /metrics.

With several workers (`PROMETHEUS_MULTIPROC_DIR` set, see service.serve) each process writes
its values to files and /metrics merges them, so whichever worker answers shows all workers.
Such a write costs ~3 us; three per request would take most of the 5% budget on /fast, so
requests are tallied in plain ints and published every 50 ms (by the lag probe) and on
each scrape of this worker's /metrics.
Per-worker gauges carry `worker="<pid>"` and use `livemax`: one series per *live* worker
(a dead worker's files are dropped by `forget_worker` or gunicorn's `child_exit`).
Non-variant routes are counted with `variant="none"`; requests matching no route with
`route="unmatched"`, so a scan of random paths cannot grow the label set.
"""

import collections
import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, generate_latest, multiprocess

from asyncgap.core import names
from asyncgap.core.variants import VARIANTS

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR" in os.environ
NO_VARIANT = "none"
UNMATCHED = "unmatched"

IN_FLIGHT = Gauge(
    names.REQUESTS_IN_FLIGHT,
    "HTTP requests being served, summed over live workers",
    multiprocess_mode="livesum",
)
REQUESTS = Counter(
    names.REQUESTS,
    "HTTP requests served, by route template, variant and worker pid",
    ["route", "variant", "worker"],
)
LOOP_LAG = Gauge(
    names.LOOP_LAG,
    "worst lateness of a 50 ms timer in the last second: how long the event loop was busy elsewhere",
    ["worker"],
    multiprocess_mode="livemax",
)
TOKENS_BUSY = Gauge(
    names.TOKENS_BUSY,
    "thread-pool tokens in use: threads running def endpoints (waiters hold none)",
    ["worker"],
    multiprocess_mode="livemax",
)
TOKENS_TOTAL = Gauge(
    names.TOKENS_TOTAL,
    "size of the worker's thread pool (anyio default limiter)",
    ["worker"],
    multiprocess_mode="livemax",
)


class RequestTally:
    """Request counts of this process, kept on the hot path as plain ints (single event-loop thread)."""

    def __init__(self) -> None:
        self.in_flight = 0
        # matched route path (None: no route matched) -> requests served since the last publish
        self.served: collections.Counter[str | None] = collections.Counter()

    def publish(self) -> None:
        IN_FLIGHT.set(self.in_flight)
        served, self.served = self.served, collections.Counter()
        pid = worker()
        for path, count in served.items():
            REQUESTS.labels(*route_labels(path), pid).inc(count)


TALLY = RequestTally()


def route_labels(path: str | None) -> tuple[str, str]:
    """`/sync/sleep` -> (`/{variant}/sleep`, `sync`); `/fast` -> (`/fast`, `none`)."""
    if path is None:
        return UNMATCHED, NO_VARIANT
    first, _, rest = path.removeprefix("/").partition("/")
    if first in VARIANTS:
        return f"/{{variant}}/{rest}", first
    return path, NO_VARIANT


def worker() -> str:
    """This process's label; read at use, not import, so a forked worker gets its own pid."""
    return str(os.getpid())


def render() -> bytes:
    """Prometheus text for all workers (multiprocess) or for this process, this worker's tally included."""
    TALLY.publish()
    if not MULTIPROCESS:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)


def forget_worker() -> None:
    """On a clean exit, drop this worker's live gauges (uvicorn --workers has no child_exit hook)."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(os.getpid())
