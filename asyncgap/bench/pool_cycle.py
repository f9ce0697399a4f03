"""Section 12, a client pool's cycle: why calibration measures a task that opens connections to
other servers over 6 s, not 1 (asyncgap.cell.calibration.burst_window_s). The `upstream` `async`
cell on two uvicorn workers, its server's CPU per request second by second under load, and every
window of 1 s and of 6 s over its steady seconds against their mean: a window that holds a whole
keep-alive cycle of httpx's pool reads what the load pays, one of a second reads its luck."""

import itertools
import json
from collections.abc import Sequence

from asyncgap.bench.lab import Lab, md_table
from asyncgap.cell.calibration import BURST_S, POOLED_BURST_S
from asyncgap.cell.drive import run_cell
from asyncgap.cell.model import predicted_cpu_ms
from asyncgap.cell.plan import Cell

NEEDS_UPSTREAM = True
SETUP, SCENARIO, VARIANT = "uvicorn-2w", "upstream", "async"
DURATION_S, WARMUP_S = 30.0, 3.0
CALIBRATION_S = (round(BURST_S), round(POOLED_BURST_S))  # calibration's two windows, whole seconds
WINDOWS_S = (1, 2, 3, 4, 5, 6, 8, 10, 12)  # and the lengths around them, to see where a cycle ends
GOAL = 0.05  # calibration's window of a cycle within this of the load's mean
COLUMNS = ["t", "rps", "cpu_ms_per_request", "outbound"]
WINDOW_COLUMNS = ["window_s", "low", "high", "windows"]


def measure(lab: Lab) -> dict:
    """One cell as a run makes it, then its samples (every 0.5 s) taken a second at a time."""
    context = lab.cells_in("pool_cycle")
    users = lab.matrix.scenarios[SCENARIO].users
    cell = run_cell(Cell(SETUP, SCENARIO, VARIANT, users, DURATION_S, WARMUP_S), context)
    if not cell.ok:
        return {"error": cell.reason}
    samples = json.loads((context.out_dir / cell.folder / "samples.json").read_text())
    seconds = per_second(samples, WARMUP_S)
    return {
        "seconds": seconds,
        "windows": {str(length): window_range(seconds, length) for length in WINDOWS_S},
        "load_cpu_ms": cell.server_cpu_ms_per_request,
        "predicted_cpu_ms": round(predicted_cpu_ms(cell.model), 3),
        "ratio": cell.measured_over_predicted,
    }


def per_second(samples: Sequence[dict], after_s: float) -> list[dict]:
    """The server's requests and CPU per request between every other sample past the warm-up
    (samples come every 0.5 s, so about a second apart), and its connections to other servers."""
    steady = [s for s in samples if s["t"] >= after_s][::2]
    return [
        {
            "t": round(b["t"] - after_s, 1),
            "requests": (served := b["requests"] - a["requests"]),
            "rps": round(served / (b["t"] - a["t"]), 1),
            "cpu_ms_per_request": round(1000 * (b["server_cpu_s"] - a["server_cpu_s"]) / served, 3),
            "outbound": sum(b["outbound"].values()),
        }
        for a, b in itertools.pairwise(steady)
        if b["requests"] > a["requests"]
    ]


def window_range(seconds: Sequence[dict], length: int) -> dict:
    """The lowest and highest CPU per request over every run of `length` consecutive seconds, as
    fractions of the mean over them all: what a calibration window that long could have read."""

    def cpu_ms(rows: Sequence[dict]) -> float:
        served = sum(r["requests"] for r in rows)
        return sum(r["cpu_ms_per_request"] * r["requests"] for r in rows) / served

    mean = cpu_ms(seconds)
    readings = [cpu_ms(seconds[i : i + length]) / mean for i in range(len(seconds) - length + 1)]
    return {"low": round(min(readings), 3), "high": round(max(readings), 3), "windows": len(readings)}


def markdown(result: dict) -> str:
    title = (
        f"## 12. A client pool's cycle: CPU per request of `{SCENARIO}` `{VARIANT}` on {SETUP}, "
        f"second by second (goal: every window of {CALIBRATION_S[-1]} s within +-{GOAL:.0%} of the load's "
        "mean)"
    )
    if "error" in result:
        return f"{title}\n\nThe cell failed: {result['error']}"
    ranges = [{"window_s": int(length), **r} for length, r in result["windows"].items()]
    return "\n\n".join(
        [
            title,
            f"CPU per request over every window of consecutive seconds, the lowest and the highest against "
            f"the mean of all {len(result['seconds'])}, by the window's length (calibration measures "
            f"{CALIBRATION_S[0]} s, and {CALIBRATION_S[1]} s for a task that opens connections to other "
            f"servers). The model expected {result['predicted_cpu_ms']} ms a request from calibration's "
            f"burst, the load paid {result['load_cpu_ms']}, and the cell measured {result['ratio']} of "
            "its prediction.",
            md_table(ranges, WINDOW_COLUMNS),
            md_table([{**s, "t": f"{s['t']:.1f}"} for s in result["seconds"]], COLUMNS),
            "httpx closes a pooled connection idle for 5 s, and those a burst of calls opened together "
            "expire together: until the pool grows again, its passes poll fewer idle sockets. Cheaper "
            "seconds about 5 s apart in the table are those: a window of a second reads one or none, and "
            "one longer than the cycle one or two.",
        ]
    )
