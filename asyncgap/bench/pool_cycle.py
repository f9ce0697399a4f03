"""Section 12, a client pool's cycle: why calibration measures a task that opens connections to
other servers over 6 s, not 1 (asyncgap.cell.calibration.burst_window_s). The `upstream` `async`
cell on two uvicorn workers, its server's CPU per request second by second under load, and
every window of 1 to 12 s over its steady seconds against their mean: a window as long as
httpx's pool's keep-alive cycle or longer reads near what the load pays, one of a second its luck."""

import json
from collections.abc import Sequence

from asyncgap.bench.lab import Lab, md_table
from asyncgap.cell import stats
from asyncgap.cell.calibration import BURST_S, POOLED_BURST_S
from asyncgap.cell.drive import run_cell
from asyncgap.cell.model import predicted_cpu_ms
from asyncgap.cell.plan import Cell
from asyncgap.core import interval

NEEDS_UPSTREAM = True
SETUP, SCENARIO, VARIANT = "uvicorn-2w", "upstream", "async"
DURATION_S, WARMUP_S = 30.0, 3.0
CALIBRATION_S = (round(BURST_S), round(POOLED_BURST_S))  # calibration's two windows, whole seconds
WINDOWS_S = (1, 2, 3, 4, 5, 6, 8, 10, 12)  # and the lengths around them, to see where a cycle ends
GOAL = 0.05  # calibration's window of a cycle within this of the load's mean
COLUMNS = ["t", "rps", "cpu_ms_per_request", "outbound"]
WINDOW_COLUMNS = ["window_s", "low", "high", "windows"]


def measure(lab: Lab) -> dict:
    """One cell as a run makes it, then the samples of its steady seconds (the window its figures
    come from: asyncgap.cell.measure), every 0.5 s or a little more."""
    context = lab.cells_in("pool_cycle")
    users = lab.matrix.scenarios[SCENARIO].users
    cell = run_cell(Cell(SETUP, SCENARIO, VARIANT, users, DURATION_S, WARMUP_S), context)
    if not cell.ok:
        return {"error": cell.reason}
    cell_dir = context.out_dir / cell.folder
    steady = interval.steady_window(stats.per_second(stats.entries(cell_dir)))
    samples = json.loads((cell_dir / "samples.json").read_text())
    inside = [s for s in samples if steady.start <= s["at"] < steady.stop]
    return {
        "seconds": per_second(inside),
        "windows": {str(length): window_range(inside, length) for length in WINDOWS_S},
        "load_cpu_ms": cell.server_cpu_ms_per_request,
        "predicted_cpu_ms": round(predicted_cpu_ms(cell.model), 3),
        "ratio": cell.measured_over_predicted,
    }


def _cpu_ms(a: dict, b: dict) -> float | None:
    """The server's CPU ms per request it finished between two samples (None if it finished none)."""
    served = b["requests"] - a["requests"]
    return 1000 * (b["server_cpu_s"] - a["server_cpu_s"]) / served if served > 0 else None


def _spans(samples: Sequence[dict], length: float) -> list[tuple[dict, dict]]:
    """From each sample, to the first one at least `length` s after it: a window as calibration
    measures one, its length or a little more."""
    spans = []
    for i, a in enumerate(samples):
        later = next((b for b in samples[i + 1 :] if b["t"] - a["t"] >= length), None)
        if later is not None:
            spans.append((a, later))
    return spans


def per_second(samples: Sequence[dict]) -> list[dict]:
    """One after another, spans of a second or a little more: the requests the server finished,
    their CPU each, and its connections to other servers at the span's end."""
    rows, a = [], samples[0] if samples else None
    for b in samples[1:]:
        if b["t"] - a["t"] < 1.0:
            continue
        if (cpu := _cpu_ms(a, b)) is not None:
            rows.append(
                {
                    "t": round(b["t"] - samples[0]["t"], 1),
                    "requests": b["requests"] - a["requests"],
                    "rps": round((b["requests"] - a["requests"]) / (b["t"] - a["t"]), 1),
                    "cpu_ms_per_request": round(cpu, 3),
                    "outbound": sum(b["outbound"].values()),
                }
            )
        a = b
    return rows


def window_range(samples: Sequence[dict], length: float) -> dict | None:
    """The lowest and highest CPU per request over every window of `length` s (one from each
    sample), as fractions of the mean over all the samples: what a calibration window that long
    could have read. None when the samples span less, or saw no request."""
    mean = _cpu_ms(samples[0], samples[-1]) if samples else None
    readings = [cpu / mean for a, b in _spans(samples, length) if mean and (cpu := _cpu_ms(a, b)) is not None]
    if not readings:
        return None
    return {"low": round(min(readings), 3), "high": round(max(readings), 3), "windows": len(readings)}


def markdown(result: dict) -> str:
    title = (
        f"## 12. A client pool's cycle: CPU per request of `{SCENARIO}` `{VARIANT}` on {SETUP}, "
        f"second by second (goal: every window of {CALIBRATION_S[-1]} s within +-{GOAL:.0%} of the load's "
        "mean)"
    )
    if "error" in result:
        return f"{title}\n\nThe cell failed: {result['error']}"
    ranges = [{"window_s": int(length), **r} for length, r in result["windows"].items() if r]
    return "\n\n".join(
        [
            title,
            f"CPU per request over every window of each length, one from each sample (as calibration "
            f"measures one: that long or a little more), the lowest and the highest against the mean of "
            f"the load's {len(result['seconds'])} steady seconds (calibration measures "
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
