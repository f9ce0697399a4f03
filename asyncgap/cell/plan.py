"""A profile plus command-line overrides -> the list of cells to run, validated up front."""

from dataclasses import dataclass

from asyncgap.core import levels as level_rule
from asyncgap.core.matrix import Matrix
from asyncgap.core.names import unknown
from asyncgap.core.records import Asked
from asyncgap.core.variants import AS_WRITTEN, VARIANTS


class PlanError(ValueError):
    """An impossible request (unknown name, bad number); the message is one line for the user."""


@dataclass(frozen=True)
class Cell:
    """One server start and one swarm; a sweep holds each of its `levels` for an equal share of
    duration_s, warming up warmup_s at each, and `users` is its last (highest) level."""

    setup: str
    scenario: str
    variant: str
    users: int
    duration_s: float
    warmup_s: float
    repeat: int = 1  # which of `repeats` runs of the same cell this is
    repeats: int = 1
    converge_pct: float | None = None  # end the load early once rps is known within +-this %
    levels: tuple[int, ...] = ()  # a sweep's users, level by level; empty for one level

    @property
    def level_s(self) -> float:
        """How long each level is held (a single cell is one level)."""
        return self.duration_s / max(1, len(self.levels))

    @property
    def key(self) -> str:
        """The cell's folder name: its identity across runs, plus the repeat when there are several."""
        base = f"{self.setup}__{self.scenario}__{self.variant}"
        return f"{base}__r{self.repeat}" if self.repeats > 1 else base

    def asked(self) -> Asked:
        """What the cell's record says was asked of it."""
        return Asked(
            setup=self.setup,
            scenario=self.scenario,
            variant=self.variant,
            users=self.users,
            duration_s=self.duration_s,
            warmup_s=self.warmup_s,
            repeat=self.repeat,
            converge_pct=self.converge_pct,
            dir=self.key,
        )


@dataclass(frozen=True)
class Overrides:
    """What the command line changes of a profile; None (or 1 repeat): the profile's own."""

    setups: list[str] | None = None
    scenarios: list[str] | None = None
    variants: list[str] | None = None
    users: tuple[int, ...] | None = None
    duration_s: float | None = None
    repeats: int = 1
    converge_pct: float | None = None


def known(kind: str, names, choices) -> None:
    """Refuse the first name that is not among `choices`, naming the valid ones."""
    if message := unknown(kind, names, choices):
        raise PlanError(message)


def _pick(kind: str, asked: list[str] | None, default: tuple[str, ...], choices) -> tuple[str, ...]:
    names = tuple(asked) if asked else default
    known(kind, names, choices)
    return names


def resolve(matrix: Matrix, profile: str, asked: Overrides = Overrides()) -> list[Cell]:
    """Cells of the profile, narrowed or reshaped; scenarios keep only the variants they have.

    Several `users` (given, or the profile's) make each cell a sweep holding each level for
    the duration; one keeps the single-level cell. Cells run scenario by scenario, each on
    every setup in turn, so that what a reader compares (a scenario's variants on one setup,
    its setups against each other) runs minutes apart, and a slow phase of the machine does not
    fall on one setup (setup by setup, `full`'s setups ran 10 minutes apart). With repeats, the
    whole list is run that many times over, interleaved (a, b, a, b rather than a, a, b, b) for
    the same reason.
    """
    known("profile", [profile], matrix.profiles)
    chosen = matrix.profiles[profile]
    levels = asked.users or chosen.users or ()
    _check(asked, levels)
    duration = asked.duration_s or chosen.duration_s
    warmup = min(chosen.warmup_s, duration / 4)  # a shortened run keeps most of its time steady
    swept = levels if len(levels) > 1 else ()
    cells = [
        Cell(
            setup,
            scenario,
            variant,
            levels[-1] if levels else matrix.scenarios[scenario].users,
            duration * max(1, len(swept)),
            warmup,
            repeat,
            asked.repeats,
            asked.converge_pct,
            swept,
        )
        for repeat in range(1, asked.repeats + 1)
        for scenario in _pick("scenario", asked.scenarios, chosen.scenarios, matrix.scenarios)
        for setup in _pick("setup", asked.setups, chosen.setups, matrix.setups)
        for variant in _pick("variant", asked.variants, chosen.variants, VARIANTS)
        if variant in (matrix.scenarios[scenario].variants or VARIANTS)
    ]
    if not cells:
        raise PlanError("that selection has no cells (does the scenario offer those variants?)")
    return cells


def _check(asked: Overrides, levels: tuple[int, ...]) -> None:
    """Refuse numbers no run can have, naming the option."""
    if problem := level_rule.problem(levels):
        raise PlanError(f"--users {problem}")
    if asked.duration_s is not None and asked.duration_s <= 0:
        raise PlanError(f"--duration must be a positive number of seconds, got {asked.duration_s:g}")
    if asked.repeats < 1:
        raise PlanError(f"--repeat must be 1 or more, got {asked.repeats}")
    converge = asked.converge_pct
    if converge is not None and not 0 < converge < 100:
        raise PlanError(f"--converge must be a percentage above 0 and below 100, got {converge:g}")
    if len(levels) > 1 and converge is not None:
        raise PlanError("--converge ends a single level early; a sweep holds each of its levels")


APP_USERS = 20  # a user's app, when neither --users nor the profile says


def resolve_app(matrix: Matrix, profile: str, traffic: str, asked: Overrides = Overrides()) -> list[Cell]:
    """The cells of a user's own app: one per setup, its traffic as the one scenario and its code
    as written as the one variant; levels, duration and warm-up as for the demo."""
    known("profile", [profile], matrix.profiles)
    chosen = matrix.profiles[profile]
    levels = asked.users or chosen.users or (APP_USERS,)
    _check(asked, levels)
    duration = asked.duration_s or chosen.duration_s
    swept = levels if len(levels) > 1 else ()
    return [
        Cell(
            setup,
            traffic,
            AS_WRITTEN,
            levels[-1],
            duration * max(1, len(swept)),
            min(chosen.warmup_s, duration / 4),
            levels=swept,
        )
        for setup in _pick("setup", asked.setups, chosen.setups, matrix.setups)
    ]
