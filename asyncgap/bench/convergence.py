"""Section 5, convergence: how much load time --converge saves, and at what cost in fidelity."""

from asyncgap.bench.lab import FIDELITY_WARMUP_S, SLEEP_USERS, Lab, md_table, ratio
from asyncgap.cell.drive import run_cell
from asyncgap.cell.plan import Cell
from asyncgap.core.records import CellResult
from asyncgap.core.variants import VARIANTS

NEEDS_UPSTREAM = True
CONVERGE_PCT, CONVERGE_CAP_S = 2.0, 20.0  # the goal's +-2%; the full profile's cell duration
CONVERGED = "converged: rps known"  # the rule's own word, logged by locustfiles/convergence.py
COLUMNS = [
    "variant",
    "fixed_load_s",
    "converge_load_s",
    "time_saved",
    "fixed_ci_pct",
    "converge_ci_pct",
    "stopped_early",
    "fixed_ratio",
    "converge_ratio",
    "rps_converge_over_fixed",
    "error",
]


def measure(lab: Lab) -> list[dict]:
    """Each 1-worker sleep cell for a fixed CONVERGE_CAP_S, then with --converge capped there."""
    rows = []
    for variant in VARIANTS:
        got = {}
        for label, pct in (("fixed", None), ("converge", CONVERGE_PCT)):
            cell = Cell(
                "uvicorn-1w",
                "sleep",
                variant,
                SLEEP_USERS,
                CONVERGE_CAP_S,
                FIDELITY_WARMUP_S,
                converge_pct=pct,
            )
            got[label] = run_cell(cell, lab.cells_in(f"convergence/{label}"))
        rows.append(_row(lab, variant, got["fixed"], got["converge"]))
    return rows


def _row(lab: Lab, variant: str, fixed: CellResult, early: CellResult) -> dict:
    if not (fixed.ok and early.ok):
        return {"variant": variant, "error": fixed.reason or early.reason}
    fixed_s, early_s = fixed.timings["load_s"], early.timings["load_s"]
    log = lab.out / "convergence" / "converge" / early.folder / "locust.log"
    return {
        "variant": variant,
        "fixed_load_s": fixed_s,
        "converge_load_s": early_s,
        "time_saved": round(1 - early_s / fixed_s, 3),
        "fixed_ci_pct": fixed.rps_ci95_pct,
        "converge_ci_pct": early.rps_ci95_pct,
        "stopped_early": CONVERGED in log.read_text(),
        "fixed_ratio": fixed.measured_over_predicted,
        "converge_ratio": early.measured_over_predicted,
        "rps_converge_over_fixed": ratio(early.rps, fixed.rps),
    }


def markdown(rows: list[dict]) -> str:
    return "\n\n".join(
        [
            f"## 5. Convergence (goal: rps within +-{CONVERGE_PCT:g}% at 95%, sooner than a fixed "
            f"{CONVERGE_CAP_S:g} s, with fixed_ratio and converge_ratio alike)",
            md_table(rows, COLUMNS),
            "load_s includes warm-up and spawning; ci_pct is the half-width of the rps's 95% interval from "
            "the steady seconds; ratio is measured/predicted rps; stopped_early: the rule ended the load "
            "(locust.log says so). A cell that never settles within the target runs to its cap.",
        ]
    )
