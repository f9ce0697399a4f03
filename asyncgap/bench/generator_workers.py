"""Section 9, generator workers: /fast driven by a Locust master and 2 workers against one Locust
process."""

from asyncgap.bench import headroom
from asyncgap.bench.lab import Lab, md_table, median_round, ratio
from asyncgap.bench.probes import locust_on_fast

NEEDS_UPSTREAM = False
WORKERS, ROUNDS = 2, 2


def measure(lab: Lab) -> list[dict]:
    """/fast driven by one Locust process, then by a master and WORKERS workers
    (--generator-workers), on the same load CPUs, in alternating rounds."""
    fast = lab.matrix.scenarios["fast"]
    rounds: dict[int, list[dict]] = {1: [], WORKERS: []}
    for round_ in range(ROUNDS):
        for workers in rounds:
            label = f"generator-workers-{workers}-{round_ + 1}"
            rounds[workers].append(locust_on_fast(lab, fast, label, workers=workers))
    rows = [
        {**median_round(f"{n} worker(s)" if n > 1 else "1 process", got), "generator_workers": n}
        for n, got in rounds.items()
    ]
    rows[1]["rps_vs_1_process"] = ratio(rows[1]["rps"], rows[0]["rps"])
    return rows


def markdown(rows: list[dict]) -> str:
    return "\n\n".join(
        [
            f"## 9. Locust's distributed mode on /fast (--generator-workers {WORKERS} vs one process)",
            md_table(rows, headroom.COLUMNS),
            f"Both on the same load CPUs ({ROUNDS} alternating rounds, the median shown): with "
            "one load core, workers share it and the ratio shows the master's cost; with a core per worker "
            "(more CPUs than this machine's two) it shows the gain.",
        ]
    )
