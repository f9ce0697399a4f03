"""Section 10, the compose engine: the quick profile in containers against the local engine, cell
by cell."""

from asyncgap.bench.lab import Lab, md_table, ratio
from asyncgap.bench.time_to_result import quick_run
from asyncgap.core.records import SUMMARY_NAME
from asyncgap.engines import docker
from asyncgap.views import compare

NEEDS_UPSTREAM = False
ENGINES = ("local", "compose")
COLUMNS = ["setup", "variant", "rps_a", "rps_b", "compose_over_local", "ci_low", "ci_high", "verdict"]


def measure(lab: Lab) -> dict:
    """`asyncgap run --quick` on each engine as a user runs it, timed from outside (the image is
    built, or found built, inside the compose run), then compared cell by cell."""
    if reason := docker.why_no_engine():
        return {"skipped": reason}
    walls = {engine: quick_run(lab, f"quick-{engine}", "--engine", engine) for engine in ENGINES}
    outs = {engine: lab.out / f"quick-{engine}" for engine in ENGINES}
    if not all((out / SUMMARY_NAME).exists() for out in outs.values()):
        return {"runs": walls, "rows": []}
    rows = [
        {**row, "compose_over_local": ratio(row.get("rps_b"), row.get("rps_a"))}
        for row in compare.compare(outs["local"], outs["compose"])
    ]
    return {"runs": walls, "rows": rows}


def markdown(result: dict) -> str:
    if "skipped" in result:
        return f"## 10. The compose engine\n\nskipped: {result['skipped']}"
    runs = result["runs"]
    return "\n\n".join(
        [
            "## 10. The compose engine against the local one (goal: compose_over_local within 1 +- 0.05 for "
            "I/O-bound cells)",
            f"`asyncgap run --quick`: local exit {runs['local']['exit']}, **{runs['local']['wall_s']} s**; "
            f"`--engine compose` exit {runs['compose']['exit']}, **{runs['compose']['wall_s']} s** "
            "(image build from cache included).",
            md_table(result["rows"], COLUMNS),
            "rps_a is local, rps_b compose; the interval and verdict are `asyncgap compare`'s.",
        ]
    )
