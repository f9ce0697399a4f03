"""matrix.toml parsing and the cells a profile resolves to."""

import pytest

from asyncgap.cell import plan
from asyncgap.core import matrix
from tests.paths import ROOT

SETUP = 'description = "d"\nserver = "uvicorn"\nworkers = 1\n'
GOOD = f"""
[upstream]
{SETUP}port = 8001
[setups.one]
{SETUP}port = 8101
[scenarios.sleep]
description = "d"
locustfile = "{ROOT}/locustfiles/sleep_mix.py"
users = 10
[profiles.p]
description = "d"
setups = ["one"]
scenarios = ["sleep"]
variants = ["sync", "async"]
duration_s = 5
warmup_s = 1
"""


def load_text(tmp_path, text: str) -> matrix.Matrix:
    path = tmp_path / "matrix.toml"
    path.write_text(text)
    return matrix.load(path)


def test_the_shipped_matrix_loads_with_the_required_setups():
    m = matrix.load()
    assert {"uvicorn-1w", "uvicorn-2w", "gunicorn-2w"} <= set(m.setups)
    assert {"quick", "default", "full"} <= set(m.profiles)
    assert m.setups["gunicorn-2w"].server == "gunicorn"


def test_a_minimal_matrix_loads(tmp_path):
    m = load_text(tmp_path, GOOD)
    assert m.setup("one").port == 8101
    assert m.setup("upstream").port == 8001


def test_a_setup_of_your_own_joins_the_shipped_ones_and_their_profiles(tmp_path):
    # A longer keep-alive for users who think 3 to 5 s: one setup, no profile of its own.
    m = load_text(tmp_path, f"[setups.uvicorn-1w-ka10]\n{SETUP}port = 8105\nkeep_alive_s = 10\n")
    assert set(m.setups) == {"uvicorn-1w", "uvicorn-2w", "gunicorn-2w", "uvicorn-1w-t100", "uvicorn-1w-ka10"}
    assert m.profiles["quick"].setups == ("uvicorn-1w",)
    # One of the same name replaces the shipped one; one on a shipped port leaves that one out,
    # and the shipped profiles keep the setups left (a profile left with none is left out).
    m = load_text(tmp_path, f"[setups.uvicorn-2w]\n{SETUP}port = 8102\n[setups.mine]\n{SETUP}port = 8101\n")
    assert m.setups["uvicorn-2w"].workers == 1 and "uvicorn-1w" not in m.setups
    assert "quick" not in m.profiles and m.profiles["default"].setups == ("uvicorn-2w", "gunicorn-2w")


def test_a_setup_of_your_own_with_a_port_that_is_no_number_is_one_line(tmp_path):
    with pytest.raises(matrix.MatrixError, match=r"setups\.mine\.port"):
        load_text(tmp_path, f"[setups.mine]\n{SETUP}port = [8105]\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[upstream\n", "not valid TOML"),
        (GOOD.replace("workers = 1\nport = 8101", "workers = 0\nport = 8101"), "setups.one.workers"),
        (GOOD.replace("users = 10", 'users = "ten"'), "scenarios.sleep.users"),
        (GOOD.replace('setups = ["one"]', 'setups = ["two"]'), "unknown profile 'p' setup 'two'"),
        (GOOD.replace("port = 8101", "port = 8001"), "ports must be distinct"),
        (GOOD.replace("sleep_mix.py", "nope.py"), "no locustfile"),
        (GOOD.replace("warmup_s = 1", "warmup_s = 9"), "warmup_s"),
        (GOOD.replace("[setups.one]", "[setups.one]\nextra = 1"), "Extra inputs"),
        (GOOD + "[setups.one]\n", "not valid TOML"),  # a duplicate setup
        (GOOD.replace('variants = ["sync", "async"]', 'variants = ["blocking"]'), "profiles.p.variants"),
    ],
)
def test_bad_matrices_give_one_line(tmp_path, text, message):
    with pytest.raises(matrix.MatrixError) as caught:
        load_text(tmp_path, text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_matrix_file(tmp_path):
    with pytest.raises(matrix.MatrixError, match="cannot read"):
        matrix.load(tmp_path / "absent.toml")


def test_profile_resolves_to_its_cross_product():
    cells = plan.resolve(matrix.load(), "quick")
    m = matrix.load()
    p = m.profiles["quick"]
    assert len(cells) == len(p.setups) * len(p.scenarios) * len(p.variants)
    assert all(c.duration_s == p.duration_s and c.warmup_s == p.warmup_s for c in cells)
    assert len({c.key for c in cells}) == len(cells)


def test_overrides_narrow_and_reshape():
    asked = plan.Overrides(
        setups=["uvicorn-1w"], scenarios=["sleep"], variants=["sync"], users=(7,), duration_s=2
    )
    cells = plan.resolve(matrix.load(), "full", asked)
    assert [(c.setup, c.scenario, c.variant, c.users, c.duration_s) for c in cells] == [
        ("uvicorn-1w", "sleep", "sync", 7, 2)
    ]
    assert cells[0].warmup_s <= 0.5  # warm-up shrinks with a short duration


def test_a_scenario_runs_on_every_setup_before_the_next_scenario_starts():
    asked = plan.Overrides(setups=["uvicorn-1w", "uvicorn-2w"], scenarios=["sleep", "db"], variants=["sync"])
    cells = plan.resolve(matrix.load(), "full", asked)
    assert [(c.scenario, c.setup) for c in cells] == [
        ("sleep", "uvicorn-1w"),
        ("sleep", "uvicorn-2w"),
        ("db", "uvicorn-1w"),
        ("db", "uvicorn-2w"),
    ]


def test_scenarios_keep_only_their_variants():
    cells = plan.resolve(matrix.load(), "full", plan.Overrides(scenarios=["tutorial"], setups=["uvicorn-1w"]))
    assert {c.variant for c in cells} == {"sync", "async"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"setups": ["nginx"]}, "unknown setup 'nginx'; choose from: uvicorn-1w"),
        ({"scenarios": ["x"]}, "unknown scenario 'x'"),
        ({"variants": ["blocking"]}, "unknown variant 'blocking'; choose from: sync, async, async-blocking"),
        ({"users": (0,)}, "--users must be a positive number"),
        ({"duration_s": -1}, "--duration must be a positive"),
        ({"scenarios": ["tutorial"], "variants": ["async-blocking"]}, "no cells"),
    ],
)
def test_bad_selections(kwargs, message):
    with pytest.raises(plan.PlanError, match=message):
        plan.resolve(matrix.load(), "quick", plan.Overrides(**kwargs))


def test_unknown_profile():
    with pytest.raises(plan.PlanError, match="unknown profile 'slow'; choose from: quick, default, full"):
        plan.resolve(matrix.load(), "slow")
