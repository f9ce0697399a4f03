"""Where a measured curve flattens: the measured knee of a sweep, to set beside the model's.

A curve is throughput against load: the server's against its users, or one route's against its
own requests in flight (its rate times its mean latency, Little's law: in a closed loop, the users
inside that route). Its knee is found as the model's is, where its two asymptotes cross: the
rising one, load / round trip alone (one user's rate when nothing else runs), and the plateau,
the best rate any level reached. So

    knee = best rate x round trip alone

and the curve has flattened when its last level carried at least FLAT_LOAD times that load:
by Little's law its requests then took at least twice their round trip alone at a rate no
better than the best, so at least half of them were queueing for something. A route behind a
pool of 5 that it holds for its whole round trip has its knee at 5 in flight, whatever the
levels swept; a route that nothing holds keeps its latency near its round trip, its last load
near its knee, and has none. One level disturbed by the machine (a dip) does not move the
knee; one lucky level moves it by its luck.
"""

from collections.abc import Sequence
from dataclasses import dataclass

FLAT_LOAD = 2.0  # the last level's load over the knee's: at least half its requests queued
MIN_LEVELS = 3  # a knee needs a rise before it and a level after it
MIN_KNEE = 0.01  # loads are recorded to two decimals: a knee under that is none


@dataclass(frozen=True)
class Point:
    """One level of a curve: its load (users, or a route's requests in flight) and its rate."""

    load: float
    rps: float


@dataclass(frozen=True)
class MeasuredKnee:
    level: float  # the load of the first level at or past the knee
    plateau_rps: float  # the best rate a level reached
    knee: float  # plateau x round trip alone: where the asymptotes cross


def usable(points: Sequence[Point]) -> list[Point]:
    """The levels that measured something, by load."""
    return sorted((p for p in points if p.load > 0 and p.rps > 0), key=lambda p: p.load)


def crossing(points: Sequence[Point], round_trip_s: float) -> tuple[float, float] | None:
    """(the best rate, the load where the asymptotes cross), or None with fewer than MIN_LEVELS."""
    ordered = usable(points)
    if len(ordered) < MIN_LEVELS or round_trip_s <= 0:
        return None
    best = max(p.rps for p in ordered)
    return best, best * round_trip_s


def measured_knee(points: Sequence[Point], round_trip_s: float) -> MeasuredKnee | None:
    """The curve's knee by the rule above; None when it has not flattened (its last level's load
    under FLAT_LOAD times the knee), or has fewer than MIN_LEVELS measured levels, or its knee is
    under MIN_KNEE (a sub-millisecond route in a mix: its requests hardly ever overlapped, and
    what set its rate was the mix around it)."""
    found = crossing(points, round_trip_s)
    if found is None or found[1] < MIN_KNEE:
        return None
    best, knee = found
    ordered = usable(points)
    if ordered[-1].load < FLAT_LOAD * knee:
        return None
    level = next(p.load for p in ordered if p.load >= knee)
    return MeasuredKnee(level=level, plateau_rps=round(best, 2), knee=round(knee, 2))


def rises(points: Sequence[Point], round_trip_s: float) -> bool:
    """Whether a curve rose over its whole sweep: not flattened, its last rate its best or near it
    (within 1 / FLAT_LOAD), and more than half again its first."""
    found = crossing(points, round_trip_s)
    if found is None or measured_knee(points, round_trip_s) is not None:
        return False
    ordered = usable(points)
    return ordered[-1].rps > max(1.5 * ordered[0].rps, found[0] / FLAT_LOAD)
