"""`loadtest compare RUN_A RUN_B`: the same cells in two runs, with a verdict that admits noise.

For each cell both runs have, the change in throughput (the cells' rps, as the dashboard
shows them) gets a 95% interval whose width comes from a bootstrap of the difference of
means. The samples are the repeats' rps when the runs were made with --repeat K >= 2,
otherwise each steady second's rps. Seconds of one run cannot see what drifts between runs
(two runs of the same code differed by a few percent here), so with one repeat a change
smaller than SINGLE_RUN_FLOOR is never called. A change whose interval spans zero is "not
significant", however large it looks. Latency changes are shown as measured; they get an
interval only from repeats, since Locust keeps no per-second percentiles worth trusting.
Sweeps are compared level by level: each level is a cell of its users, its seconds its own.
"""

import random
import statistics
from pathlib import Path

from loadtest import results
from loadtest.records import CellResult, load_summary

RESAMPLES = 5000
SEED = 20261124  # fixed: the same two runs always get the same verdicts
SINGLE_RUN_FLOOR = 0.05  # run-to-run drift that per-second samples cannot measure


class CompareError(ValueError):
    """Two runs that cannot be compared; one line for the user."""


def bootstrap_change(a: list[float], b: list[float]) -> tuple[float, float, float] | None:
    """Relative change of the mean from a to b, with a 95% percentile-bootstrap interval."""
    if len(a) < 2 or len(b) < 2 or statistics.fmean(a) == 0:
        return None
    rng = random.Random(SEED)
    base = statistics.fmean(a)
    changes = sorted(
        (statistics.fmean(rng.choices(b, k=len(b))) - statistics.fmean(rng.choices(a, k=len(a)))) / base
        for _ in range(RESAMPLES)
    )
    point = (statistics.fmean(b) - base) / base
    return point, changes[int(0.025 * RESAMPLES)], changes[int(0.975 * RESAMPLES) - 1]


def _samples(run_dir: Path, group: list[CellResult], repeats: bool) -> list[float]:
    """The repeats' rps, or the steady seconds of the (one) run when there are no repeats."""
    ok = [c for c in group if c.ok]
    if repeats:
        return [c.rps for c in ok]
    return results.steady_rps_samples(run_dir, ok[0]) if ok else []


def _relative(a: float | None, b: float | None) -> float | None:
    return (b - a) / a if a and b is not None else None


def compare(run_a: Path, run_b: Path) -> list[dict]:
    """One row per cell common to both runs, in run A's order; a sweep's levels are cells here."""
    cells_a, cells_b = (results.by_level(load_summary(run).cells) for run in (run_a, run_b))
    groups_a: dict[tuple, list[CellResult]] = {}
    groups_b: dict[tuple, list[CellResult]] = {}
    for cells, groups in ((cells_a, groups_a), (cells_b, groups_b)):
        for cell in cells:
            groups.setdefault(cell.identity, []).append(cell)
    common = [key for key in groups_a if key in groups_b]
    if not common:
        raise CompareError(
            f"{run_a} and {run_b} have no cell in common (same setup, scenario, variant, users)"
        )
    merged_a = {c.identity: c for c in results.merge_repeats(cells_a)}
    merged_b = {c.identity: c for c in results.merge_repeats(cells_b)}
    rows = []
    for key in common:
        a, b = merged_a[key], merged_b[key]
        row = dict(zip(("setup", "scenario", "variant", "users"), key, strict=True))
        if not (a.ok and b.ok):
            rows.append({**row, "verdict": "failed in one run"})
            continue
        ok_a, ok_b = (sum(c.ok for c in g[key]) for g in (groups_a, groups_b))
        repeats = min(ok_a, ok_b) >= 2  # both sides must have repeats, or both use seconds
        basis = f"{min(ok_a, ok_b)} repeats" if repeats else "per-second"
        samples_a = _samples(run_a, groups_a[key], repeats)
        samples_b = _samples(run_b, groups_b[key], repeats)
        change = bootstrap_change(samples_a, samples_b)
        row |= {"rps_a": a.rps, "rps_b": b.rps, "basis": basis,
                "p50_change": _relative(a.p50_ms, b.p50_ms),
                "p95_change": _relative(a.p95_ms, b.p95_ms)}  # fmt: skip
        if change is None:
            rows.append({**row, "verdict": "too few samples"})
            continue
        sampled, low, high = change
        point = (b.rps - a.rps) / a.rps
        low, high = point + low - sampled, point + high - sampled  # the bootstrap's width, centred
        too_small = basis == "per-second" and abs(point) < SINGLE_RUN_FLOOR
        significant = not (low <= 0 <= high or too_small)
        verdict = ("faster" if point > 0 else "slower") if significant else "not significant"
        rows.append({**row, "rps_change": point, "ci_low": low, "ci_high": high, "verdict": verdict})
    return rows


def regressions(rows: list[dict], percent: float) -> list[dict]:
    """Significantly slower cells whose throughput fell by more than `percent`."""
    return [r for r in rows if r["verdict"] == "slower" and -r["rps_change"] * 100 > percent]
