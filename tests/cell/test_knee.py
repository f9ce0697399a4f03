"""The measured knee's rule on synthetic curves: flat after a level, still rising, noisy."""

import random

import pytest

from asyncgap.cell.knee import Point, crossing, measured_knee, rises

LEVELS = [1, 2, 5, 10, 20, 40]
ROUND_TRIP_S = 0.02  # one user's rate alone: 50 rps


def capped(cap: float, noise: float = 0.0, seed: int = 0) -> list[Point]:
    """A closed loop's curve: users / round trip until `cap` concurrent calls, then flat."""
    rng = random.Random(seed)
    return [Point(n, min(n, cap) / ROUND_TRIP_S * (1 + rng.uniform(-noise, noise))) for n in LEVELS]


def test_a_curve_flat_after_5_has_its_knee_at_5():
    got = measured_knee(capped(5), ROUND_TRIP_S)
    assert got is not None
    assert got.level == 5
    assert got.plateau_rps == pytest.approx(250)
    assert got.knee == pytest.approx(5)


def test_the_knee_lies_between_levels_where_the_asymptotes_cross():
    got = measured_knee(capped(7), ROUND_TRIP_S)  # no level at 7: the plateau says where
    assert got is not None and got.level == 10
    assert got.knee == pytest.approx(7)


@pytest.mark.parametrize("seed", range(20))
def test_noise_of_8_percent_moves_the_knee_by_its_luck_only(seed):
    got = measured_knee(capped(5, noise=0.08, seed=seed), ROUND_TRIP_S)
    assert got is not None and got.level in (5, 10)  # the first level at or past it
    assert 5 * 0.92 <= got.knee <= 5 * 1.08


def test_a_level_the_machine_disturbed_does_not_move_the_knee():
    points = capped(5)
    points[3] = Point(10, points[3].rps / 3)  # a dip at 10 users
    got = measured_knee(points, ROUND_TRIP_S)
    assert got is not None and got.knee == pytest.approx(5)


def test_a_rising_curve_has_no_knee():
    points = capped(1000)
    assert measured_knee(points, ROUND_TRIP_S) is None
    assert rises(points, ROUND_TRIP_S)


def test_a_rising_curve_whose_latency_grew_a_little_has_no_knee():
    """Calls 40% slower at the top (a busier machine) are not a queue for a limit."""
    points = [Point(n, n / (ROUND_TRIP_S * (1 + 0.4 * n / 40))) for n in LEVELS]
    assert measured_knee(points, ROUND_TRIP_S) is None
    assert rises(points, ROUND_TRIP_S)


def test_a_curve_still_rising_5_percent_per_doubling_has_flattened():
    rates = {1: 50, 2: 95, 5: 200, 10: 250, 20: 262, 40: 275}
    got = measured_knee([Point(n, r) for n, r in rates.items()], ROUND_TRIP_S)
    assert got is not None and got.knee == pytest.approx(5.5) and got.level == 10
    assert not rises([Point(n, r) for n, r in rates.items()], ROUND_TRIP_S)


def test_too_few_levels_or_empty_levels_give_no_knee():
    assert measured_knee(capped(5)[:2], ROUND_TRIP_S) is None
    assert measured_knee([Point(n, 0.0) for n in LEVELS], ROUND_TRIP_S) is None
    assert not rises([Point(1, 10.0)], ROUND_TRIP_S)


def test_a_curve_flat_from_its_first_level_has_its_knee_at_or_below_it():
    got = measured_knee(capped(0.5), ROUND_TRIP_S)
    assert got is not None and got.level == 1 and got.knee == pytest.approx(0.5)


def test_a_knee_under_a_hundredth_in_flight_is_none():
    """A 0.3 ms route at 20 rps: its loads round to a hundredth; a knee of 0.006 is no knee."""
    points = [Point(0.01, 20.0), Point(0.01, 18.0), Point(0.02, 19.0)]
    assert crossing(points, 0.0003) == pytest.approx((20.0, 0.006))
    assert measured_knee(points, 0.0003) is None
