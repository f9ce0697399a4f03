"""Names that the service defines and the harness and locustfiles read: one spelling each,
so a rename breaks an import, never silently turns a reading into zero."""

FAST = "/fast"  # the probe endpoint: async def, no I/O; its latency shows a starved loop

# Prometheus families the workers write (service/metrics.py) and the sampler and live page read.
REQUESTS_IN_FLIGHT = "asyncgap_requests_in_flight"
REQUESTS = "asyncgap_requests"  # a counter: its samples are named REQUESTS_SERVED
REQUESTS_SERVED = f"{REQUESTS}_total"
LOOP_LAG = "asyncgap_event_loop_lag_seconds"
TOKENS_BUSY = "asyncgap_thread_tokens_busy"
TOKENS_TOTAL = "asyncgap_thread_tokens_total"

# A user's locustfile wrapped for a run (asyncgap.cell.traffic): the LoadTestShapes it leaves out,
# and the line of asyncgap.load.check that names them.
LEFT_OUT_SHAPES = "ASYNCGAP_LEFT_OUT_SHAPES"
SHAPES_LINE = "left out shapes: "


def endpoint_key(method: str, name: str) -> str:
    """How the harness names an endpoint: its path, with the method in front unless it is GET
    (GET and POST /sync/notes are different endpoints under one path)."""
    return name if method in ("GET", "") else f"{method} {name}"


def unknown(kind: str, names, choices) -> str | None:
    """'unknown KIND 'x'; choose from: a, b' for the first name not among `choices`, else None."""
    for name in names:
        if name not in choices:
            return f"unknown {kind} {name!r}; choose from: {', '.join(choices)}"
    return None
