"""The threshold grammar: good expressions parse into their parts, bad ones are one line naming
the fields; matrix.toml's [thresholds] tables give each its scope."""

import pytest

from asyncgap.core import thresholds
from asyncgap.core.records import CellResult, EndpointFigures, Level
from asyncgap.core.thresholds import Scope, ThresholdError, ThresholdTable, parse


@pytest.mark.parametrize(
    ("expr", "parts"),
    [
        ("p95_ms<200", ("p95_ms", "<", 200.0, None, None)),
        ("p99_ms < 500", ("p99_ms", "<", 500.0, None, None)),
        ("fail_ratio<0.01", ("fail_ratio", "<", 0.01, None, None)),
        ("rps>400", ("rps", ">", 400.0, None, None)),
        ("rps>=1e3", ("rps", ">=", 1000.0, None, None)),
        ("measured_over_predicted>0.9", ("measured_over_predicted", ">", 0.9, None, None)),
        ("loop_blocked_share<=.05", ("loop_blocked_share", "<=", 0.05, None, None)),
        ("/fast:p95_ms<50", ("p95_ms", "<", 50.0, "/fast", None)),
        ("POST /sync/notes:p99_ms<80", ("p99_ms", "<", 80.0, "POST /sync/notes", None)),
        ("/{variant}/sleep:p95_ms<300", ("p95_ms", "<", 300.0, "/{variant}/sleep", None)),
        ("@users=100:p95_ms<200", ("p95_ms", "<", 200.0, None, 100)),
        ("@users=40:fast_p95_ms<20", ("fast_p95_ms", "<", 20.0, None, 40)),
    ],
)
def test_good_expressions_parse_into_their_parts(expr, parts):
    t = parse(expr)
    assert (t.field, t.op, t.value, t.endpoint, t.level) == parts
    assert t.expr == expr.strip()


@pytest.mark.parametrize(
    ("expr", "says"),
    [
        ("p95_ms=200", "malformed threshold"),
        ("p95_ms<", "malformed threshold"),
        ("p95_ms<fast", "malformed threshold"),
        ("<200", "malformed threshold"),
        ("fast:p95_ms<50", "malformed threshold"),  # an endpoint starts with /
        ("@100:p95_ms<200", "malformed threshold"),
        ("p95<200", "unknown field 'p95'"),
        ("latency_ms<200", "unknown field 'latency_ms'"),
        ("/fast:loop_blocked_share<0.1", "not a figure of an endpoint"),
        ("@users=10:p99_ms<200", "not a figure of a level"),
        ("@users=10:/fast:p95_ms<200", "a level of a sweep has no per-endpoint figures"),
        ("@users=0:p95_ms<200", "malformed threshold"),
    ],
)
def test_bad_expressions_are_one_line_listing_the_fields(expr, says):
    with pytest.raises(ThresholdError, match=says) as caught:
        parse(expr)
    message = str(caught.value)
    assert "\n" not in message
    assert "fields: " in message and "p95_ms" in message


def test_the_fields_exist_on_the_records_they_name():
    """Each field is a figure of the records it claims, or derived (fail_ratio) or exact-only."""
    models = {"cell": CellResult, "endpoint": EndpointFigures, "level": Level}
    derived = {"fail_ratio", "p999_ms"}
    for name, spec in thresholds.FIELDS.items():
        for where in spec.where:
            if name not in derived:
                assert (spec.attribute or name) in models[where].model_fields, (name, where)


@pytest.mark.parametrize(
    ("op", "measured", "holds"),
    [("<", 199.9, True), ("<", 200, False), ("<=", 200, True), (">", 200, False), (">=", 200, True)],
)
def test_operators(op, measured, holds):
    assert parse(f"p95_ms{op}200").holds(measured) is holds


def test_the_variant_slot_names_each_variants_endpoint():
    t = parse("/{variant}/sleep:p95_ms<300")
    assert t.endpoint_for("async-blocking") == "/async-blocking/sleep"
    assert parse("/fast:p95_ms<5").endpoint_for("sync") == "/fast"


def test_a_table_gives_each_expression_its_scope():
    table = ThresholdTable.model_validate(
        {
            "all": ["fail_ratio<0.01"],
            "scenarios": {"sleep": ["/fast:p95_ms<50"]},
            "variants": {"async": ["loop_blocked_share<0.05"]},
            "setups": {"uvicorn-1w": ["rps>10"]},
        }
    )
    scoped = {t.expr: t.scope for t in table.thresholds()}
    assert scoped == {
        "fail_ratio<0.01": Scope(),
        "/fast:p95_ms<50": Scope(scenario="sleep"),
        "loop_blocked_share<0.05": Scope(variant="async"),
        "rps>10": Scope(setup="uvicorn-1w"),
    }
    assert Scope(variant="async").covers("uvicorn-2w", "db", "async")
    assert not Scope(variant="async").covers("uvicorn-2w", "db", "sync")


@pytest.mark.parametrize(
    "data",
    [
        {"all": ["p95<1"]},
        {"variants": {"async": ["loop_blocked_share=0.05"]}},
        {"variants": {"asink": ["rps>1"]}},
        {"every": ["rps>1"]},
    ],
)
def test_a_bad_table_is_refused_when_it_loads(data):
    with pytest.raises(ValueError):
        ThresholdTable.model_validate(data)
