"""Section 11, transfer: one calibration, many predictions. A model that fits only the cell it was
calibrated on is a curve fit; this one should carry over. Each scenario is calibrated once, on
HOME, and that calibration alone predicts the same scenario on every other setup (2 workers,
gunicorn, 100 thread tokens) and at every level of a sweep on HOME; each is then measured.

Each cell also calibrates itself as a run does (its own prediction beside it), so a row that
transfers worse than its own calibration shows which input moved: the CPU per request measured
hot on HOME against on the cell's own server.
"""

from asyncgap.bench.lab import Lab, md_table, ratio
from asyncgap.cell import explain, model
from asyncgap.cell.drive import run_cell
from asyncgap.cell.plan import Cell
from asyncgap.core.prediction import EndpointCalibration
from asyncgap.core.records import CellResult
from asyncgap.core.variants import VARIANTS

NEEDS_UPSTREAM = True
HOME = "uvicorn-1w"
ELSEWHERE = ("uvicorn-2w", "gunicorn-2w", "uvicorn-1w-t100")
SCENARIOS = ("sleep", "db", "upstream", "cpu")
DURATION_S, WARMUP_S = 8.0, 2.0
LEVELS, LEVEL_S, LEVEL_WARMUP_S = (1, 10, 40, 100), 4.0, 1.0
COLUMNS = [
    "scenario",
    "variant",
    "setup",
    "users",
    "rps",
    "transferred_rps",
    "ratio",
    "own_rps",
    "own_ratio",
    "cpu_ms_home",
    "cpu_ms_own",
    "error",
]


def measure(lab: Lab) -> list[dict]:
    """Per scenario and variant: the HOME cell, then each setup of ELSEWHERE, then a sweep on HOME,
    every one predicted from the HOME cell's calibration."""
    rows = []
    for name in SCENARIOS:
        scenario = lab.matrix.scenarios[name]
        for variant in scenario.variants or VARIANTS:
            home = _run(lab, Cell(HOME, name, variant, scenario.users, DURATION_S, WARMUP_S))
            if not home.ok:
                rows.append(_failed(home))
                continue
            calibrated = home.model.inputs.endpoints
            for setup in (HOME, *ELSEWHERE):
                got = home if setup == HOME else _run(lab, _elsewhere(home, setup))
                rows.append(_row(got, calibrated) if got.ok else _failed(got))
            swept = len(LEVELS) * LEVEL_S
            sweep = _run(lab, Cell(HOME, name, variant, LEVELS[-1], swept, LEVEL_WARMUP_S, levels=LEVELS))
            rows += _level_rows(sweep, calibrated) if sweep.ok else [_failed(sweep)]
    return rows


def _run(lab: Lab, cell: Cell) -> CellResult:
    return run_cell(cell, lab.cells_in(f"transfer/{cell.key}__{len(cell.levels) or 1}"))


def _elsewhere(home: CellResult, setup: str) -> Cell:
    return Cell(setup, home.scenario, home.variant, home.users, DURATION_S, WARMUP_S)


def cpu_ms(endpoints: dict[str, EndpointCalibration]) -> float:
    """CPU per request hot, weighted by the shares, at the pace the cell expected before its load:
    the input most likely to move."""
    total = sum(e.share for e in endpoints.values())
    return round(sum(e.share * model.cpu_ms(e) for e in endpoints.values()) / total, 3) if total else 0.0


def at_pace_of(calibrated: dict[str, EndpointCalibration], got: CellResult) -> dict[str, EndpointCalibration]:
    """Another cell's calibration at the pace of the cores `got` expected before its load: a fact
    of the machine at that moment, not of the app, that its own calibration read (as it was
    without one)."""
    pace = next((e.pace_expected_ms for e in got.model.inputs.endpoints.values() if e.pace_expected_ms), None)
    return (
        {name: e.model_copy(update={"pace_expected_ms": pace}) for name, e in calibrated.items()}
        if pace
        else calibrated
    )


def transferred(calibrated: dict[str, EndpointCalibration], got: CellResult, users: int, split) -> float:
    """The prediction of `got`'s server at `users`, from another cell's calibration."""
    return model.predict(
        at_pace_of(calibrated, got), users, model.server_of(got.model.inputs), split
    ).predicted_rps


def _row(got: CellResult, calibrated: dict[str, EndpointCalibration]) -> dict:
    predicted = transferred(calibrated, got, got.users, got.connections_per_worker or None)
    return {
        **_identity(got),
        "users": got.users,
        "rps": round(got.rps, 1),
        "transferred_rps": round(predicted, 1),
        "ratio": ratio(got.rps, predicted),
        "own_rps": got.predicted_rps,
        "own_ratio": got.measured_over_predicted,
        "cpu_ms_home": cpu_ms(at_pace_of(calibrated, got)),
        "cpu_ms_own": cpu_ms(got.model.inputs.endpoints),
    }


def _level_rows(sweep: CellResult, calibrated: dict[str, EndpointCalibration]) -> list[dict]:
    """A sweep's levels, each predicted from the HOME cell's calibration (connections split evenly)."""
    return [
        {
            **_identity(sweep),
            "setup": f"{sweep.setup} sweep",
            "users": level.users,
            "rps": level.rps,
            "transferred_rps": round(predicted := transferred(calibrated, sweep, level.users, None), 1),
            "ratio": ratio(level.rps, predicted),
            "own_rps": level.predicted_rps,
            "own_ratio": level.measured_over_predicted,
            "cpu_ms_home": cpu_ms(at_pace_of(calibrated, sweep)),
            "cpu_ms_own": cpu_ms(sweep.model.inputs.endpoints),
        }
        for level in sweep.levels
    ]


def _identity(got: CellResult) -> dict:
    return {"scenario": got.scenario, "variant": got.variant, "setup": got.setup}


def _failed(got: CellResult) -> dict:
    return {**_identity(got), "users": got.users, "error": got.reason}


def _verdict(row: dict) -> str:
    """Why a row outside the tolerance did not transfer: first whether the cell's own calibration
    misses it as well (then the model is wrong there, not the transfer), then which input moved."""
    if row.get("own_ratio") and abs(row["own_ratio"] - 1) > explain.TOLERANCE:
        return f"its own calibration misses it too ({row['own_ratio']:.2f}): the model, not the transfer"
    home, own = row.get("cpu_ms_home"), row.get("cpu_ms_own")
    if home and own and abs(own / home - 1) > explain.TOLERANCE:
        return f"CPU per request hot {own:.2f} ms on its own server, {home:.2f} ms on {HOME}"
    return "the inputs agree: the load differed"


def markdown(rows: list[dict]) -> str:
    measured = [r for r in rows if r.get("ratio")]
    within = [r for r in measured if abs(r["ratio"] - 1) <= explain.TOLERANCE]
    misses = [
        f"- {r['scenario']} {r['variant']} on {r['setup']} at {r['users']} users: {r['ratio']:.2f}, "
        + _verdict(r)
        for r in measured
        if r not in within
    ]
    return "\n\n".join(
        [
            f"## 11. Transfer: calibrated once on {HOME}, predicted everywhere (goal: every row within "
            f"+-{explain.TOLERANCE:.0%})",
            f"{len(within)} of {len(measured)} rows within +-{explain.TOLERANCE:.0%} on {HOME}'s "
            f"calibration alone; {len(rows) - len(measured)} failed.",
            md_table(rows, COLUMNS),
            "\n".join(misses) or "Every row transfers.",
        ]
    )
