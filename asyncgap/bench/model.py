"""Section 6, the model: every cell of the `full` profile on 1 and 2 uvicorn workers, measured
against its prediction made before the load, with the binding bound and any measured reason."""

from asyncgap import run
from asyncgap.bench.lab import Lab, md_table
from asyncgap.cell import explain, plan

NEEDS_UPSTREAM = False
SETUPS = ("uvicorn-1w", "uvicorn-2w")
COLUMNS = ["setup", "scenario", "variant", "rps", "predicted_rps", "bound", "ratio", "reason"]


def measure(lab: Lab) -> list[dict]:
    """The full profile on SETUPS, one cell after another as `asyncgap run` does them."""
    cells = plan.resolve(lab.matrix, "full", plan.Overrides(setups=list(SETUPS)))
    done = run.run(cells, lab.matrix, lab.out / "model")
    return [
        {
            "setup": c.setup,
            "scenario": c.scenario,
            "variant": c.variant,
            "rps": c.rps,
            "predicted_rps": c.predicted_rps,
            "bound": c.model and c.model.bound,
            "ratio": c.measured_over_predicted,
            "reason": (c.model and c.model.reason) or c.reason or "",
        }
        for c in done
    ]


def markdown(rows: list[dict]) -> str:
    ratios = [r["ratio"] for r in rows if r["ratio"]]
    within = sum(1 for q in ratios if abs(q - 1) <= explain.TOLERANCE)
    explained = sum(1 for r in rows if r["ratio"] and abs(r["ratio"] - 1) > explain.TOLERANCE and r["reason"])
    sleep = [r["ratio"] for r in rows if r["scenario"] == "sleep" and r["ratio"]]
    worst_sleep = max(sleep, key=lambda q: abs(q - 1)) if sleep else None
    return "\n\n".join(
        [
            f"## 6. The model over the `full` profile on {', '.join(SETUPS)} (goal: every cell within "
            f"+-{explain.TOLERANCE:.0%} of its prediction or carrying a measured reason; sleep within +-3%)",
            f"{within} of {len(rows)} cells within +-{explain.TOLERANCE:.0%}; {explained} outside it, "
            f"each with its measured reason; {len(rows) - len(ratios)} failed. "
            f"Worst sleep cell: {worst_sleep}.",
            md_table(rows, COLUMNS),
            "Each prediction was written to the cell's prediction.json before its load, from the cell's "
            "calibration on the idle server; only the kernel's connection split was taken from the load.",
        ]
    )
