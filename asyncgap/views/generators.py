"""When one Locust process is not enough: say so, with the --generator-workers that would help.

A Locust process uses one core. A cell whose generator was the bottleneck measured Locust,
not the server; if the machine had cores that neither the server's workers nor the
generator used, more Locust workers (its distributed mode) would have lifted that bound.
"""

import os

from asyncgap.core.matrix import Matrix
from asyncgap.core.records import CellResult


def advice(cells: list[CellResult], matrix: Matrix, generator_workers: int) -> list[str]:
    """One line per generator-bound cell that spare cores could have helped; none otherwise."""
    total = len(os.sched_getaffinity(0))
    hints = []
    for cell in cells:
        if not (cell.ok and cell.generator_bound):
            continue
        server_needs = matrix.setups[cell.setup].workers
        spare = total - server_needs - generator_workers
        suggest = generator_workers + spare
        if spare < 1:
            continue
        hints.append(
            f"hint: {cell.folder} was generator-bound ({cell.generator_cores_busy:.2f} cores busy with "
            f"{generator_workers} Locust process(es)) while {spare} core(s) were left to neither the "
            f"server's {server_needs} worker(s) nor Locust: try --generator-workers {suggest}"
        )
    return hints
