"""How well a cell's throughput is known: the 95% confidence interval of the mean of its
per-second request counts, relative to that mean.

Shared by the dashboard (every cell shows it) and by Locust's --converge-pct (a swarm ends
once it is narrow enough), so a cell that stopped early is judged by the rule that stopped it.
Per-second counts of a closed-loop swarm are close to independent once warm; the interval
is Student's t, its quantile from the Cornish-Fisher expansion (within 2% of the exact
value from 4 degrees of freedom up), so no statistics package is needed for one number.
"""

import math
import statistics
from collections import Counter

Z_975 = statistics.NormalDist().inv_cdf(0.975)
MIN_SECONDS = 5  # fewer steady seconds say little about the spread


def per_second(entries: list[dict]) -> Counter:
    """Requests finished in each whole second (of the epoch), over Locust's serialized stats entries."""
    counts: Counter = Counter()
    for entry in entries:
        counts.update({int(t): n for t, n in entry["num_reqs_per_sec"].items()})
    return counts


def steady_counts(per_second: dict[int, int]) -> list[int]:
    """Requests finished in each whole second, in order, a second with none counted as 0; the
    first and the last are left out, since the swarm (or the stats reset after warm-up) began
    or ended inside them."""
    return [per_second.get(t, 0) for t in steady_window(per_second)]


def steady_window(per_second: dict[int, int]) -> range:
    """The whole seconds between the first and the last second that saw a request."""
    return range(min(per_second) + 1, max(per_second)) if per_second else range(0)


def t_975(df: int) -> float:
    """Student's t 97.5% quantile (two-sided 95%) for `df` degrees of freedom, approximately."""
    z = Z_975
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def relative_halfwidth(samples: list[float]) -> float | None:
    """Half the 95% interval of the mean, as a fraction of it; None with too few samples."""
    if len(samples) < MIN_SECONDS:
        return None
    mean = statistics.fmean(samples)
    if mean <= 0:
        return None
    return t_975(len(samples) - 1) * statistics.stdev(samples) / math.sqrt(len(samples)) / mean
