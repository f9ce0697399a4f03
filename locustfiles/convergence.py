"""--converge-pct: a headless swarm ends as soon as its throughput is known within +-PCT.

Once a second after warm-up, the whole seconds so far are the samples (loadtest/interval.py,
the same rule the dashboard shows beside every cell); when their 95% interval is narrow
enough the runner quits exactly as --run-time would have made it, so Locust writes its
reports as usual. --run-time stays the upper bound for a cell that never settles.
"""

import logging

import gevent

from loadtest.interval import relative_halfwidth

CHECK_EVERY_S = 1.0


def steady_counts(per_second: dict[int, int]) -> list[int]:
    """Requests finished in each whole second: the first and the current, partial, left out."""
    return [per_second[t] for t in sorted(per_second)[1:-1]]


def watch(environment, target: float) -> None:
    """Quit the runner once the throughput's relative 95% half-width is at most `target`."""
    while True:
        gevent.sleep(CHECK_EVERY_S)
        counts = steady_counts(environment.runner.stats.total.num_reqs_per_sec)
        width = relative_halfwidth(counts)
        if width is not None and width <= target:
            logging.warning(
                "converged: rps known within +-%.2f%% after %d steady seconds; ending the swarm",
                100 * width, len(counts),
            )  # fmt: skip
            environment.runner.quit()
            return
