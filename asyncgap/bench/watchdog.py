"""Section 8, watchdog cost: /fast throughput with the blocking watchdog on vs off, and the sleep
`async` cell at 100 users on vs off, where the model's textbook case is measured."""

import os
import statistics
from collections.abc import Iterator
from contextlib import contextmanager

from asyncgap.bench.lab import FIDELITY_S, FIDELITY_WARMUP_S, SLEEP_USERS, Lab, ratio
from asyncgap.bench.probes import fast_on_off
from asyncgap.cell.drive import run_cell
from asyncgap.cell.plan import Cell

NEEDS_UPSTREAM = True  # the sleep cells run as a run does them
VARIABLE = "ASYNCGAP_WATCHDOG"
CELL_ROUNDS = 2


def measure(lab: Lab) -> dict:
    """/fast under wrk with the watchdog (asyncgap/watch/watchdog.py) on and off, metrics and probe
    on; then the sleep async cell, on and off in alternating rounds."""
    return {**fast_on_off(lab, VARIABLE, "watchdog"), "sleep_async": sleep_on_off(lab)}


@contextmanager
def _setting(value: str) -> Iterator[None]:
    """The servers started inside get VARIABLE=value (a server inherits the harness's environment)."""
    before = os.environ.get(VARIABLE)
    os.environ[VARIABLE] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ[VARIABLE]
        else:
            os.environ[VARIABLE] = before


def sleep_on_off(lab: Lab) -> dict:
    """The sleep async cell's rps, measured/predicted and CPU per request under load, watchdog on
    and off: what it costs where the model must hold within 3%."""
    got: dict[str, list] = {"on": [], "off": []}
    for round_ in range(1, CELL_ROUNDS + 1):
        for state in ("on", "off"):
            cell = Cell("uvicorn-1w", "sleep", "async", SLEEP_USERS, FIDELITY_S, FIDELITY_WARMUP_S)
            with _setting(str(state == "on").lower()):
                done = run_cell(cell, lab.cells_in(f"watchdog/{state}-{round_}"))
            got[state].append(
                {
                    "rps": done.rps,
                    "ratio": done.measured_over_predicted,
                    "cpu_ms": done.server_cpu_ms_per_request,
                }
                if done.ok
                else {"error": done.reason}
            )
    medians = {
        state: statistics.median(r["rps"] for r in rounds if "rps" in r)
        if any("rps" in r for r in rounds)
        else None
        for state, rounds in got.items()
    }
    return {**got, "rps_ratio_on_over_off": ratio(medians["on"], medians["off"])}


def markdown(dog: dict) -> str:
    fast = dog.get("skipped") or (
        f"/fast rps with the watchdog on {dog['rps_on']}, off {dog['rps_off']} (metrics and lag probe "
        f"on in both): median ratio **{dog['ratio_on_over_off']}**. Server CPU per request (us) on "
        f"{dog['cpu_us_per_request_on']}, off {dog['cpu_us_per_request_off']}: capacity ratio "
        f"(off/on CPU per request) **{dog['capacity_ratio_on_over_off']}**. The idle server's CPU (ms a "
        f"second) on {dog.get('idle_cpu_ms_per_s_on')}, off {dog.get('idle_cpu_ms_per_s_off')}."
    )
    sleep = dog.get("sleep_async")
    cells = (
        f"\n\nThe sleep async cell at {SLEEP_USERS} users, a round each (rps, measured/predicted, CPU "
        f"ms a request under load), watchdog on: {_rounds(sleep['on'])}; off: {_rounds(sleep['off'])}. "
        f"Median rps ratio on/off **{sleep['rps_ratio_on_over_off']}**."
        if sleep
        else ""
    )
    return "## 8. Watchdog cost (goal: ratio_on_over_off >= 0.97)\n\n" + fast + cells


def _rounds(rounds: list[dict]) -> str:
    """Each round of the sleep cell as `1,046 rps (0.944, 0.585 ms)`, or its error."""
    return ", ".join(
        r.get("error") or f"{r['rps']:,.0f} rps ({r['ratio']}, {r['cpu_ms']} ms)" for r in rounds
    )
