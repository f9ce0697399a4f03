"""`asyncgap run --check`: does the run show the gaps its scenarios promise (matrix.toml `expect`)?"""

from asyncgap.cell.regroup import merge_repeats
from asyncgap.core.matrix import Matrix
from asyncgap.core.records import CellResult


def broken_expectations(cells: list[CellResult], matrix: Matrix) -> list[str]:
    """A plain-words reason for each expected gap the run did not show, or could not show
    because a cell it needs is missing or failed; empty when every expectation held."""
    merged = merge_repeats(cells)
    rps = {(c.setup, c.scenario, c.variant): c.rps for c in merged if c.ok}
    reasons = []
    for setup, scenario in dict.fromkeys((c.setup, c.scenario) for c in merged):
        for expect in matrix.scenarios[scenario].expect:
            if expect.workers is not None and matrix.setups[setup].workers != expect.workers:
                continue
            faster = rps.get((setup, scenario, expect.faster))
            slower = rps.get((setup, scenario, expect.slower))
            if faster is None or slower is None:
                missing = expect.faster if faster is None else expect.slower
                reasons.append(
                    f"{scenario} on {setup}: cannot check that {expect.faster} beats {expect.slower} "
                    f"{expect.factor:g}x: the run has no measured {missing} cell (add --variants {missing})"
                )
                continue
            if faster < expect.factor * slower:
                reasons.append(
                    f"{scenario} on {setup}: {expect.faster} served {faster:,.1f} rps, which is not "
                    f"{expect.factor:g}x {expect.slower}'s {slower:,.1f} rps (only {faster / slower:.2f}x)"
                )
    return reasons
