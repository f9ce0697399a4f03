"""`asyncgap compare RUN_A RUN_B`: the same cells in two runs, with verdicts that admit noise.

For each cell both runs have, the change in throughput (the cells' rps, as the dashboard
shows them) and in p95 latency each get a 95% interval whose width comes from a bootstrap of
the difference of means. The samples are the repeats' figures when the runs were made with
--repeat K >= 2, otherwise each steady second's: its rps, and its exact p95 from the HDR
histograms (asyncgap/cell/exact.py). Seconds of one run cannot see what drifts between runs
(two runs of the same code differed by a few percent here), so with one repeat a change
smaller than the floor (SINGLE_RUN_FLOOR for rps, P95_FLOOR for p95) is never called. A
change whose interval spans zero is "not significant", however large it looks. Runs from
before the histograms have no exact p95: their p95 change is Locust's rounded one, untested.
Sweeps are compared level by level: each level is a cell of its users, its seconds its own.
"""

import random
import statistics
from pathlib import Path

from asyncgap.cell import exact, regroup
from asyncgap.core.records import CellResult, load_summary

RESAMPLES = 5000
SEED = 20261124  # fixed: the same two runs always get the same verdicts
SINGLE_RUN_FLOOR = 0.05  # run-to-run drift of rps that per-second samples cannot measure
P95_FLOOR = 0.10  # the same for p95: a tail drifts more between runs than a mean


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
    return regroup.steady_rps_samples(run_dir, ok[0]) if ok else []


def _p95(run_dir: Path, cell: CellResult) -> tuple[float | None, list[float]]:
    """A cell's exact p95 and its steady seconds' p95s (a sweep's level: that level's)."""
    return exact.steady_p95(run_dir / cell.folder, cell.levels[-1].users if cell.levels else None)


def _p95_samples(run_dir: Path, group: list[CellResult], repeats: bool) -> tuple[float | None, list[float]]:
    """The exact p95 to compare and its samples: the mean of the repeats' and the repeats'
    own, or the one run's and its steady seconds'; (None, []) for a run without histograms."""
    ok = [c for c in group if c.ok]
    if not repeats:
        return _p95(run_dir, ok[0])
    each = [_p95(run_dir, c)[0] for c in ok]
    if None in each:
        return None, []
    return statistics.fmean(each), each


def _relative(a: float | None, b: float | None) -> float | None:
    return (b - a) / a if a and b is not None else None


def _tested(point: float, a: list[float], b: list[float], floor: float | None) -> dict | None:
    """The 95% interval of a relative change `point` from the bootstrap of samples a and b (its
    width, centred on the point), and whether it is significant; None with too few samples.
    `floor`: per-second samples, which cannot see drift between runs, call no smaller change."""
    change = bootstrap_change(a, b)
    if change is None:
        return None
    sampled, low, high = change
    low, high = point + low - sampled, point + high - sampled
    too_small = floor is not None and abs(point) < floor
    return {"low": low, "high": high, "significant": not (low <= 0 <= high or too_small)}


def _rps_verdict(
    a: CellResult, b: CellResult, samples: tuple[list[float], list[float]], floor: float | None
) -> dict:
    point = (b.rps - a.rps) / a.rps
    tested = _tested(point, *samples, floor)
    if tested is None:
        return {"verdict": "too few samples"}
    verdict = ("faster" if point > 0 else "slower") if tested["significant"] else "not significant"
    return {"rps_change": point, "ci_low": tested["low"], "ci_high": tested["high"], "verdict": verdict}


def _p95_verdict(side_a: tuple, side_b: tuple, floor: float | None) -> dict:
    """The exact p95's change with its interval and verdict (higher, lower, not significant)."""
    (p95_a, samples_a), (p95_b, samples_b) = side_a, side_b
    if p95_a is None or p95_b is None:
        return {"p95_verdict": "no exact latency"}
    point = (p95_b - p95_a) / p95_a
    tested = _tested(point, samples_a, samples_b, floor)
    row = {"p95_a": p95_a, "p95_b": p95_b, "p95_change": point}
    if tested is None:
        return {**row, "p95_verdict": "too few samples"}
    verdict = ("higher" if point > 0 else "lower") if tested["significant"] else "not significant"
    return {**row, "p95_ci_low": tested["low"], "p95_ci_high": tested["high"], "p95_verdict": verdict}


def _groups(cells: list[CellResult]) -> dict[tuple, list[CellResult]]:
    groups: dict[tuple, list[CellResult]] = {}
    for cell in cells:
        groups.setdefault(cell.identity, []).append(cell)
    return groups


def compare(run_a: Path, run_b: Path) -> list[dict]:
    """One row per cell common to both runs, in run A's order; a sweep's levels are cells here."""
    cells_a, cells_b = (regroup.by_level(load_summary(run).cells) for run in (run_a, run_b))
    groups_a, groups_b = _groups(cells_a), _groups(cells_b)
    common = [key for key in groups_a if key in groups_b]
    if not common:
        raise CompareError(
            f"{run_a} and {run_b} have no cell in common (same setup, scenario, variant, users)"
        )
    merged_a = {c.identity: c for c in regroup.merge_repeats(cells_a)}
    merged_b = {c.identity: c for c in regroup.merge_repeats(cells_b)}
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
        rps_samples = (_samples(run_a, groups_a[key], repeats), _samples(run_b, groups_b[key], repeats))
        p95_sides = (_p95_samples(run_a, groups_a[key], repeats), _p95_samples(run_b, groups_b[key], repeats))
        rows.append(
            {
                **row,
                "rps_a": a.rps,
                "rps_b": b.rps,
                "basis": basis,
                "p50_change": _relative(a.p50_ms, b.p50_ms),
                "p95_change": _relative(a.p95_ms, b.p95_ms),  # Locust's, unless the exact one follows
                **_rps_verdict(a, b, rps_samples, None if repeats else SINGLE_RUN_FLOOR),
                **_p95_verdict(*p95_sides, None if repeats else P95_FLOOR),
            }
        )
    return rows


def regressions(rows: list[dict], percent: float) -> list[dict]:
    """Cells significantly worse by more than `percent`: throughput down, or p95 up."""
    return [r for r in rows if regressed(r, percent)]


def regressed(row: dict, percent: float) -> list[str]:
    """What got significantly worse by more than `percent`, in words: '-24.9% rps', '+31.0% p95'."""
    worse = []
    if row.get("verdict") == "slower" and -row["rps_change"] * 100 > percent:
        worse.append(f"{row['rps_change']:+.1%} rps")
    if row.get("p95_verdict") == "higher" and row["p95_change"] * 100 > percent:
        worse.append(f"{row['p95_change']:+.1%} p95")
    return worse
