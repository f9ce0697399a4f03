"""The 95% interval of a cell's throughput, from its per-second counts."""

import math
import statistics

import pytest

from asyncgap.core.interval import relative_halfwidth, t_975

# Student's t, 97.5% quantile, from printed tables.
T_TABLE = {4: 2.776, 5: 2.571, 9: 2.262, 19: 2.093, 29: 2.045, 119: 1.980}


@pytest.mark.parametrize(("df", "exact"), T_TABLE.items())
def test_t_quantile_is_within_2_percent_of_the_table(df, exact):
    assert t_975(df) == pytest.approx(exact, rel=0.02)


def test_halfwidth_of_known_samples():
    samples = [400, 410, 390, 405, 395, 400]
    expected = 2.571 * statistics.stdev(samples) / math.sqrt(6) / 400
    assert relative_halfwidth(samples) == pytest.approx(expected, rel=0.01)


def test_steady_samples_give_a_narrower_interval_than_noisy_ones():
    assert relative_halfwidth([100, 101, 99, 100, 100]) < relative_halfwidth([100, 130, 70, 110, 90])


def test_too_few_or_empty_samples_say_nothing():
    assert relative_halfwidth([400, 410, 390, 405]) is None  # under 5 seconds
    assert relative_halfwidth([0, 0, 0, 0, 0]) is None
