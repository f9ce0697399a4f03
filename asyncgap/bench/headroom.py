"""Section 2, generator headroom: what does the pack's user cost per request against a bare
FastHttpUser and wrk, and what does Locust --processes 2 add?"""

import shutil

from asyncgap.bench.lab import PROBE_S, PROBE_USERS, Lab, md_table, median_round, ratio
from asyncgap.bench.probes import locust_on_fast, wrk
from asyncgap.core.matrix import Scenario

NEEDS_UPSTREAM = False
ROUNDS = 3
BARE = Scenario(description="bare FastHttpUser", locustfile="locustfiles/bare_fast.py", users=20)
COLUMNS = ["generator", "rps", "cores", "requests_per_cpu_s", "rounds", "cost_vs_bare", "rps_vs_1_process"]


def measure(lab: Lab) -> list[dict]:
    """The pack's user and a bare one in alternating rounds, so drift hits both alike."""
    fast = lab.matrix.scenarios["fast"]
    rounds: dict[str, list[dict]] = {"asyncgap-user": [], "bare-fasthttpuser": []}
    for round_ in range(ROUNDS):
        for label, scenario in (("asyncgap-user", fast), ("bare-fasthttpuser", BARE)):
            rounds[label].append(locust_on_fast(lab, scenario, f"{label}-{round_ + 1}"))
    ours, bare = (median_round(label, got) for label, got in rounds.items())
    two = locust_on_fast(lab, fast, "asyncgap-user-2-processes", processes=2)
    ours["cost_vs_bare"] = ratio(bare["requests_per_cpu_s"], ours["requests_per_cpu_s"])
    two["rps_vs_1_process"] = ratio(two["rps"], ours["rps"])
    rows = [ours, bare, two]
    if shutil.which("wrk"):
        rows.append(_wrk_row(lab))
    return rows


def _wrk_row(lab: Lab) -> dict:
    with lab.serve("uvicorn-1w", "headroom-wrk") as srv:
        got = wrk(srv, "/fast", connections=PROBE_USERS, duration_s=PROBE_S, cpus=lab.cores.generator)
    cores = got["cpu_s"] / PROBE_S
    return {
        "generator": "wrk",
        "rps": got["rps"],
        "cores": round(cores, 3),
        "requests_per_cpu_s": round(got["rps"] / cores) if cores else None,
    }


def markdown(rows: list[dict]) -> str:
    return "\n\n".join(
        [
            "## 2. Generator headroom on /fast (goal: cost_vs_bare <= 1.05)",
            md_table(rows, COLUMNS),
            f"The pack's user and the bare one ran {ROUNDS} alternating rounds each; a row shows its "
            "median round, `rounds` every round's requests per CPU-second.",
        ]
    )
