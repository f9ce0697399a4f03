"""--converge-pct: a headless swarm ends as soon as its throughput is known within +-PCT.

Once a second after warm-up, the whole seconds so far are the samples, judged by
asyncgap/core/interval.py, the rule the dashboard prints beside every cell. When their 95%
interval is narrow enough the runner quits exactly as --run-time would have made it, so
Locust writes its reports as usual; --run-time stays the cap for a cell that never settles.

This is a stopping rule, not an exact 95% interval: stopping at the first narrow reading
favours a lucky streak. So it waits for STOP_AFTER_SECONDS and for HOLD_CHECKS narrow readings in
a row, and the interval the dashboard then prints comes from all the seconds Locust kept.
"""

import logging

import gevent

from asyncgap.core.interval import relative_halfwidth, steady_counts

CHECK_EVERY_S = 1.0
STOP_AFTER_SECONDS = 10  # steady seconds before any stop (interval.MIN_SECONDS: before any interval)
HOLD_CHECKS = 3


def watch(environment, target: float) -> None:
    """Quit the runner once the throughput's relative 95% half-width has stayed within `target`."""
    narrow = 0
    while True:
        gevent.sleep(CHECK_EVERY_S)
        counts = steady_counts(environment.runner.stats.total.num_reqs_per_sec)
        width = relative_halfwidth(counts) if len(counts) >= STOP_AFTER_SECONDS else None
        narrow = narrow + 1 if width is not None and 0 < width <= target else 0
        if narrow >= HOLD_CHECKS:
            logging.warning(
                "converged: rps known within +-%.2f%% after %d steady seconds; ending the swarm",
                100 * width,
                len(counts),
            )
            environment.runner.quit()
            return
