"""Section 7, wake cost: the CPU alone that calibration reads around waits of 0 to 100 ms."""

import time

import httpx

from asyncgap.bench.lab import Lab, md_table
from asyncgap.cell.sampler import idle_cpu_rate, tree_cpu_s

NEEDS_UPSTREAM = False
WAITS_MS = (0, 1, 10, 100)
COLUMNS = ["wait_ms", "calls", "cpu_ms_per_request", "wall_s"]


def measure(lab: Lab) -> list[dict]:
    """CPU per request alone, as calibration measures it, around waits of growing length: what
    a server spends waking from idle inside each call, which a loaded server never pays."""
    rows = []
    with lab.serve("uvicorn-1w", "wake-cost") as srv, httpx.Client(base_url=srv.url) as client:
        idle = idle_cpu_rate(srv.process.pid)
        for wait_ms in WAITS_MS:
            path = f"/async/sleep?ms={wait_ms}"
            client.get(path).raise_for_status()  # warm
            calls = max(10, min(200, 1000 // max(wait_ms, 1)))
            before, started = tree_cpu_s(srv.process.pid), time.monotonic()
            for _ in range(calls):
                client.get(path).raise_for_status()
            wall = time.monotonic() - started
            used = tree_cpu_s(srv.process.pid) - before - idle * wall
            rows.append(
                {
                    "wait_ms": wait_ms,
                    "calls": calls,
                    "wall_s": round(wall, 2),
                    "cpu_ms_per_request": round(1000 * used / calls, 3),
                }
            )
    return rows


def markdown(rows: list[dict]) -> str:
    return "\n\n".join(
        [
            "## 7. CPU alone around a wait (why `cpu_ms_alone` is high for endpoints that wait)",
            md_table(rows, COLUMNS),
            "One request at a time to `/async/sleep?ms=WAIT` on one idle uvicorn worker, the server's CPU "
            "per request as calibration reads it (the idle server's own CPU subtracted). The asyncio.sleep "
            "itself costs microseconds; the rest is the server waking from idle, which a loaded server never "
            "does.",
        ]
    )
