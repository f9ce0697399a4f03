"""`loadtest run --check`: does the run show the gaps its scenarios promise (matrix.toml `expect`)?"""

from core.matrix import Matrix
from loadtest.results import merge_repeats


def broken_expectations(cells: list[dict], matrix: Matrix) -> list[str]:
    """A plain-words reason for each expected gap the run did not show; empty when all held."""
    rps = {
        (c["setup"], c["scenario"], c["variant"]): c["rps"]
        for c in merge_repeats(cells)
        if c["status"] == "ok"
    }
    reasons = []
    for setup, scenario in dict.fromkeys((s, sc) for s, sc, _ in rps):
        for expect in matrix.scenarios[scenario].expect:
            if expect.workers is not None and matrix.setups[setup].workers != expect.workers:
                continue
            faster = rps.get((setup, scenario, expect.faster))
            slower = rps.get((setup, scenario, expect.slower))
            if faster is None or slower is None:
                continue
            if faster < expect.factor * slower:
                reasons.append(
                    f"{scenario} on {setup}: {expect.faster} served {faster:,.1f} rps, which is not "
                    f"{expect.factor:g}x {expect.slower}'s {slower:,.1f} rps (only {faster / slower:.2f}x)"
                )
    return reasons
