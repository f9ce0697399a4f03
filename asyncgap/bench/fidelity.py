"""Section 1, fidelity: do 1- and 2-worker sleep cells match theory, by Locust and by wrk?"""

import shutil

from asyncgap.bench.lab import FIDELITY_S, FIDELITY_WARMUP_S, SLEEP_MS, SLEEP_USERS, Lab, md_table, ratio
from asyncgap.bench.probes import wrk
from asyncgap.cell import model
from asyncgap.cell.drive import run_cell
from asyncgap.cell.plan import Cell
from asyncgap.core.records import CellResult
from asyncgap.core.variants import VARIANTS

NEEDS_UPSTREAM = True
SETUPS = ("uvicorn-1w", "uvicorn-2w")
COLUMNS = [
    "setup",
    "variant",
    "generator",
    "rps",
    "predicted_rps",
    "rps_ratio",
    "split",
    "mean_ms",
    "p50_ms",
    "predicted_mean_ms",
    "error",
]


def measure(lab: Lab) -> list[dict]:
    rows = []
    for setup in SETUPS:
        for variant in VARIANTS:
            cell = Cell(setup, "sleep", variant, SLEEP_USERS, FIDELITY_S, FIDELITY_WARMUP_S)
            got = run_cell(cell, lab.cells_in("fidelity"))
            rows.append(_locust_row(got))
            if got.ok and setup == "uvicorn-1w" and shutil.which("wrk"):
                rows.append(_wrk_row(lab, got))
    return rows


def _locust_row(got: CellResult) -> dict:
    row = {"setup": got.setup, "variant": got.variant, "generator": "locust"}
    if not got.ok:
        return {**row, "error": got.reason}
    little_ms = 1000 * SLEEP_USERS / got.predicted_rps  # Little's law: R = N / X
    return {
        **row,
        "rps": round(got.rps, 1),
        "predicted_rps": got.predicted_rps,
        "rps_ratio": got.measured_over_predicted,
        "split": got.connections_per_worker,
        "mean_ms": got.mean_ms,
        "predicted_mean_ms": round(little_ms, 1),
    }


def _wrk_row(lab: Lab, locust_cell: CellResult) -> dict:
    """The same setup and slow endpoint under wrk: every request slow, no /fast mix. The
    prediction reuses the Locust cell's calibration of that endpoint, as its only one."""
    name = f"/{locust_cell.variant}/sleep"
    inputs = locust_cell.model.inputs
    alone = {name: inputs.endpoints[name].model_copy(update={"share": 1.0})}
    server_model = model.Server(inputs.workers, inputs.thread_tokens, inputs.pool_processes, inputs.cores)
    predicted = model.predict(alone, SLEEP_USERS, server_model).predicted_rps
    with lab.serve(locust_cell.setup, f"wrk-{locust_cell.variant}") as srv:
        got = wrk(
            srv,
            f"{name}?ms={SLEEP_MS}",
            connections=SLEEP_USERS,
            duration_s=FIDELITY_S,
            cpus=lab.cores.generator,
        )
    return {
        "setup": locust_cell.setup,
        "variant": locust_cell.variant,
        "generator": "wrk",
        "rps": got["rps"],
        "predicted_rps": round(predicted, 2),
        "rps_ratio": ratio(got["rps"], predicted),
        "p50_ms": got["p50_ms"],
        "predicted_mean_ms": round(1000 * SLEEP_USERS / predicted, 1),
    }


def markdown(rows: list[dict]) -> str:
    return "\n\n".join(
        [
            "## 1. Fidelity (goal: rps_ratio within 1 +- 0.03 for 1 worker, +- 0.10 for 2 workers)",
            md_table(rows, COLUMNS),
            "predicted_mean_ms is Little's law, R = N / X: a steady-state mean. A cell shorter than a few "
            "cycles of N / X (async-blocking: about 10 s) cannot show it, since requests still queued when "
            "the load stops are never counted; wrk's p50 is not a mean either.",
        ]
    )
