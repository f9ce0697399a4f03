"""Thresholds: pass/fail gates on a cell's own figures, for CI (`--threshold`, matrix.toml).

The grammar, one expression per gate:

    [@users=N:][ENDPOINT:]FIELD OP NUMBER

- FIELD is a figure of the cell's record (FIELDS below), e.g. `p95_ms`, `rps`,
  `loop_blocked_share`, or `fail_ratio` (failures / requests). The percentiles (`p50_ms`,
  `p95_ms`, `p99_ms`, `p999_ms`, a level's `fast_p95_ms`) are the exact ones, from the HDR histograms
  (asyncgap/core/latency.py), where the cell has them; Locust's rounded ones otherwise.
- OP is one of `<`, `<=`, `>`, `>=`; NUMBER a plain decimal (`200`, `0.01`, `1e3`).
- ENDPOINT, e.g. `/fast:` or `POST /sync/notes:`, gates that endpoint's figures instead of the
  cell's; `{variant}` stands for the cell's variant (`/{variant}/sleep:p95_ms<300`).
- `@users=N:` gates the level of N users of a sweep (`--users 1,10,40`) on its own figures.

In matrix.toml, `[thresholds]` holds lists of expressions by scope: `all` for every cell, and
tables `setups`, `scenarios`, `variants` keyed by name, e.g. `variants.async =
["loop_blocked_share<0.05"]`. `--threshold` expressions apply to every cell of the run.
"""

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from asyncgap.core.variants import Variant

Op = Literal["<", "<=", ">", ">="]
Where = Literal["cell", "endpoint", "level"]
VARIANT_SLOT = "{variant}"
A_WHERE: dict[Where, str] = {"cell": "a cell", "endpoint": "an endpoint", "level": "a level of a sweep"}


class ThresholdError(ValueError):
    """An expression that cannot be a threshold; the message is one line naming the fields."""


@dataclass(frozen=True)
class FieldSpec:
    """A figure a threshold can name: where it exists, and what a cell needs to have it."""

    description: str
    where: tuple[Where, ...] = ("cell",)
    needs_postgres: bool = False  # a database server's figure: PostgreSQL cells only
    attribute: str | None = None  # the record's attribute, when it is not the field's name


ALL: tuple[Where, ...] = ("cell", "endpoint", "level")
FIELDS: dict[str, FieldSpec] = {
    "requests": FieldSpec("requests completed in the steady window", ALL),
    "failures": FieldSpec("failed requests", ALL),
    "fail_ratio": FieldSpec("failures / requests", ALL),
    "rps": FieldSpec("requests per second over the steady window", ALL),
    "mean_ms": FieldSpec("mean response time", ("cell", "endpoint")),
    "p50_ms": FieldSpec("median response time", ALL),
    "p95_ms": FieldSpec("95th percentile response time", ALL),
    "p99_ms": FieldSpec("99th percentile response time", ("cell", "endpoint")),
    "p999_ms": FieldSpec("99.9th percentile response time (exact only)", ("cell", "endpoint")),
    "fast_p95_ms": FieldSpec("the /fast probe's p95 at a level of a sweep", ("level",)),
    "predicted_rps": FieldSpec("the model's throughput, predicted before the load", ALL),
    "measured_over_predicted": FieldSpec("rps / predicted_rps", ("cell", "level")),
    "rps_ci95_pct": FieldSpec("half-width of rps's 95% interval, in %", ("cell", "level")),
    "server_cpu_ms_per_request": FieldSpec("the server's CPU per request", ("cell", "level")),
    "server_cores_busy": FieldSpec("the server's cores busy under the load"),
    "generator_cores_busy": FieldSpec("Locust's cores busy under the load"),
    "loop_lag_max_ms": FieldSpec("the event loop's worst lag"),
    "loop_blocked_share": FieldSpec(
        "share of the steady window the event loop was blocked", ("cell", "level")
    ),
    "threads_busy_mean": FieldSpec("thread-pool threads running application code, on average"),
    "tokens_busy_max": FieldSpec("the most thread tokens busy at once"),
    "service_ms": FieldSpec("the endpoint's service time on the idle server", ("endpoint",)),
    "db_cores_busy": FieldSpec("the database server's cores busy", needs_postgres=True),
    "db_cpu_ms_per_request": FieldSpec("the database server's CPU per request", needs_postgres=True),
}
EXACT = {
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "p999_ms",
    "fast_p95_ms",
}  # read from `<field>_exact` where the record has it

EXPRESSION = re.compile(
    r"""^\s*(?:@users=(?P<level>[1-9]\d*):)?          # a level of a sweep
        \s*(?:(?P<endpoint>(?:[A-Z]+\s)?/[^:\s]*):)?  # an endpoint: /path or METHOD /path
        \s*(?P<field>[A-Za-z_][A-Za-z0-9_]*)
        \s*(?P<op><=|>=|<|>)
        \s*(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$""",
    re.VERBOSE,
)
SYNTAX = "[@users=N:][/ENDPOINT:]FIELD<NUMBER (or <=, >, >=)"


def field_names(where: Where | None = None) -> list[str]:
    return [name for name, spec in FIELDS.items() if where is None or where in spec.where]


def _fields_hint(where: Where | None = None) -> str:
    return f"fields: {', '.join(field_names(where))}"


class Scope(BaseModel):
    """Which cells a threshold applies to (None: any); from the matrix's [thresholds] tables."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    setup: str | None = None
    scenario: str | None = None
    variant: Variant | None = None

    def covers(self, setup: str, scenario: str, variant: str) -> bool:
        return (
            self.setup in (None, setup)
            and self.scenario in (None, scenario)
            and self.variant in (None, variant)
        )


class Threshold(BaseModel):
    """One parsed expression, and the cells it applies to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    expr: str
    field: str
    op: Op
    value: float
    endpoint: str | None = None
    level: int | None = None
    scope: Scope = Scope()

    @property
    def where(self) -> Where:
        return "level" if self.level is not None else "endpoint" if self.endpoint else "cell"

    def endpoint_for(self, variant: str) -> str | None:
        """The endpoint's name in a cell of `variant` ({variant} filled in)."""
        return self.endpoint and self.endpoint.replace(VARIANT_SLOT, variant)

    def holds(self, measured: float) -> bool:
        return {
            "<": measured < self.value,
            "<=": measured <= self.value,
            ">": measured > self.value,
            ">=": measured >= self.value,
        }[self.op]


def parse(expr: str, scope: Scope | None = None) -> Threshold:
    """One expression -> a Threshold; ThresholdError (one line, with the fields) if it is not one."""
    match = EXPRESSION.match(expr)
    if match is None:
        raise ThresholdError(f"malformed threshold {expr!r}: write {SYNTAX}; {_fields_hint()}")
    name, level, endpoint = match["field"], match["level"], match["endpoint"]
    if name not in FIELDS:
        raise ThresholdError(f"unknown field {name!r} in threshold {expr!r}; {_fields_hint()}")
    if level is not None and endpoint is not None:
        raise ThresholdError(
            f"threshold {expr!r}: a level of a sweep has no per-endpoint figures "
            f"(its /fast probe's p95 is fast_p95_ms); {_fields_hint('level')}"
        )
    threshold = Threshold(
        expr=expr.strip(),
        field=name,
        op=match["op"],
        value=float(match["value"]),
        endpoint=endpoint and " ".join(endpoint.split()),
        level=int(level) if level is not None else None,
        scope=scope or Scope(),
    )
    if threshold.where not in FIELDS[name].where:
        raise ThresholdError(
            f"threshold {expr!r}: {name} is not a figure of {A_WHERE[threshold.where]}; "
            f"{_fields_hint(threshold.where)}"
        )
    return threshold


def parse_all(exprs: list[str] | tuple[str, ...], scope: Scope | None = None) -> list[Threshold]:
    return [parse(expr, scope) for expr in exprs]


Expressions = tuple[str, ...]


class ThresholdTable(BaseModel):
    """matrix.toml's [thresholds]: expressions for every cell, and by setup, scenario or variant.
    Each is parsed when the matrix loads, so a malformed one is refused before anything runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    all: Expressions = ()
    setups: dict[str, Expressions] = Field(default_factory=dict)
    scenarios: dict[str, Expressions] = Field(default_factory=dict)
    variants: dict[Variant, Expressions] = Field(default_factory=dict)

    @field_validator("all")
    @classmethod
    def _parses(cls, exprs: Expressions) -> Expressions:
        parse_all(exprs)
        return exprs

    @field_validator("setups", "scenarios", "variants")
    @classmethod
    def _each_parses(cls, table: dict[str, Expressions]) -> dict[str, Expressions]:
        for exprs in table.values():
            parse_all(exprs)
        return table

    def thresholds(self) -> list[Threshold]:
        """Every threshold of the table, each with its scope."""
        scoped = [(Scope(), self.all)]
        scoped += [(Scope(setup=name), exprs) for name, exprs in self.setups.items()]
        scoped += [(Scope(scenario=name), exprs) for name, exprs in self.scenarios.items()]
        scoped += [(Scope(variant=name), exprs) for name, exprs in self.variants.items()]
        return [parse(expr, scope) for scope, exprs in scoped for expr in exprs]


class ThresholdResult(BaseModel):
    """One threshold judged on one cell: the value it read (None: not evaluated) and the verdict;
    `note` says why it failed, or why it could not be evaluated (which counts as failed)."""

    model_config = ConfigDict(extra="forbid")

    expr: str
    cell: str  # the cell's folder in its run
    value: float | None
    passed: bool
    note: str = ""
    users: int | None = None  # of the figures judged: the cell's, or a sweep's level's
