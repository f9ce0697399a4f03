"""A sweep's levels of users: the one rule, as the plan and matrix.toml apply it."""

import re

import pytest

from asyncgap.cell import plan
from asyncgap.core import levels, matrix
from tests.core.test_matrix_and_plan import GOOD, load_text


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("40", (40,)), ("1,10,40", (1, 10, 40)), (" 1, 10 ,40 ", (1, 10, 40)), ("-5", (-5,))],
)
def test_parse_reads_whole_numbers(text, parsed):
    assert levels.parse(text) == parsed


@pytest.mark.parametrize(
    ("text", "entry"), [("many", "'many'"), ("1,x,3", "'x'"), ("1,,3", "''"), ("1.5", "'1.5'")]
)
def test_parse_names_the_first_entry_that_is_not_a_number(text, entry):
    with pytest.raises(ValueError, match=re.escape(f"invalid int value: {entry}")):
        levels.parse(text)


@pytest.mark.parametrize(
    ("asked", "problem"),
    [
        ((0,), "must be a positive number, got 0"),
        ((1, 10, -5), "must be a positive number, got -5"),
        ((1, 10, 10, 40), "lists 10 twice"),
        ((1, 40, 10), "must increase: 10 comes after 40"),
        ((10, 40, 10), "must increase: 10 comes after 40"),  # a duplicate out of order
        (tuple(range(1, 14)), "has 13 levels; at most 12"),
    ],
)
def test_every_bad_list_has_a_one_line_reason(asked, problem):
    assert levels.problem(asked) == problem
    with pytest.raises(plan.PlanError, match=f"^{re.escape(f'--users {problem}')}$"):
        plan.resolve(matrix.load(), "quick", plan.Overrides(users=asked))


@pytest.mark.parametrize("good", [(1,), (100,), (1, 10, 40), tuple(range(1, 13))])
def test_good_lists_pass(good):
    assert levels.problem(good) is None


def test_a_list_makes_each_cell_one_sweep_holding_each_level_for_the_duration():
    cells = plan.resolve(matrix.load(), "quick", plan.Overrides(users=(1, 10, 40), duration_s=4))
    assert {c.levels for c in cells} == {(1, 10, 40)}
    assert all(c.users == 40 and c.duration_s == 12 and c.level_s == 4 for c in cells)
    assert all(c.warmup_s == 1 for c in cells)  # each level's warm-up, as the profile's
    assert len({c.key for c in cells}) == len(cells) == 6  # one folder, one server start, per cell


def test_a_single_number_is_the_single_level_cell_of_old():
    asked = plan.Overrides(setups=["uvicorn-1w"], variants=["sync"], users=(40,))
    (cell,) = plan.resolve(matrix.load(), "quick", asked)
    assert (cell.users, cell.levels, cell.duration_s) == (40, (), 5)
    assert cell.asked().users == 40


def test_the_sweep_profile_sweeps_its_levels_on_40_and_100_tokens():
    m = matrix.load()
    cells = plan.resolve(m, "sweep")
    assert {c.setup for c in cells} == {"uvicorn-1w", "uvicorn-1w-t100"}
    assert all(len(c.levels) >= 6 and 40 in c.levels and 100 in c.levels for c in cells)
    assert m.setups["uvicorn-1w-t100"].thread_tokens == 100
    assert m.setups["uvicorn-1w"].thread_tokens is None  # the service's default, 40


def test_a_sweep_cannot_converge_early():
    with pytest.raises(plan.PlanError, match=r"^--converge ends a single level early"):
        plan.resolve(matrix.load(), "quick", plan.Overrides(users=(1, 10), converge_pct=5))


@pytest.mark.parametrize(
    ("users", "message"),
    [("[10, 10]", "profiles.p.users: Value error, lists 10 twice"), ("[]", "profiles.p.users")],
)
def test_a_profile_with_bad_levels_is_refused_in_one_line(tmp_path, users, message):
    with pytest.raises(matrix.MatrixError, match=re.escape(message)) as caught:
        load_text(tmp_path, GOOD.replace("duration_s = 5", f"users = {users}\nduration_s = 5"))
    assert "\n" not in str(caught.value)
