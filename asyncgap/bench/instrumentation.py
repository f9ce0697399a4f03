"""Section 3, instrumentation cost: /fast throughput with metrics and the lag probe on vs off."""

from asyncgap.bench.lab import Lab
from asyncgap.bench.probes import fast_on_off

NEEDS_UPSTREAM = False


def measure(lab: Lab) -> dict:
    """/fast under wrk with instrumentation on and off, alternated so drift hits both alike.

    Two ratios: throughput (what the goal names, but it swings by 10-20% between identical
    runs on a shared machine) and the server's CPU per request, which is steadier.
    """
    return fast_on_off(lab, "ASYNCGAP_INSTRUMENT", "instrument")


def markdown(instr: dict) -> str:
    return "## 3. Instrumentation cost (goal: ratio_on_over_off >= 0.95)\n\n" + (
        instr.get("skipped")
        or f"/fast rps with metrics and lag probe on {instr['rps_on']}, off {instr['rps_off']}: "
        f"median ratio **{instr['ratio_on_over_off']}**. Server CPU per request (us) on "
        f"{instr['cpu_us_per_request_on']}, off {instr['cpu_us_per_request_off']}: capacity ratio "
        f"(off/on CPU per request) **{instr['capacity_ratio_on_over_off']}**."
    )
