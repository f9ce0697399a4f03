"""A profile plus command-line overrides -> the list of cells to run, validated up front."""

from dataclasses import dataclass

from core import levels as level_rule
from core.matrix import Matrix
from core.names import unknown
from core.variants import VARIANTS


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

    def fields(self) -> dict:
        return {
            "setup": self.setup,
            "scenario": self.scenario,
            "variant": self.variant,
            "users": self.users,
            "duration_s": self.duration_s,
            "warmup_s": self.warmup_s,
            "repeat": self.repeat,
            "converge_pct": self.converge_pct,
            "dir": self.key,
            "levels": [{"users": users} for users in self.levels],  # measured figures join them
        }


def known(kind: str, names, choices) -> None:
    """Refuse the first name that is not among `choices`, naming the valid ones."""
    if message := unknown(kind, names, choices):
        raise PlanError(message)


def _pick(kind: str, asked: list[str] | None, default: tuple[str, ...], choices) -> tuple[str, ...]:
    names = tuple(asked) if asked else default
    known(kind, names, choices)
    return names


def resolve(
    matrix: Matrix,
    profile: str,
    *,
    setups: list[str] | None = None,
    scenarios: list[str] | None = None,
    variants: list[str] | None = None,
    users: tuple[int, ...] | None = None,
    duration_s: float | None = None,
    repeats: int = 1,
    converge_pct: float | None = None,
) -> list[Cell]:
    """Cells of the profile, narrowed or reshaped; scenarios keep only the variants they have.

    Several `users` (given, or the profile's) make each cell a sweep holding each level for
    the duration; one keeps the single-level cell. With repeats, the whole list is run that
    many times over, interleaved (a, b, a, b rather than a, a, b, b) so that a slow drift of
    the machine does not fall on one cell.
    """
    known("profile", [profile], matrix.profiles)
    chosen = matrix.profiles[profile]
    levels = users or chosen.users or ()
    if problem := level_rule.problem(levels):
        raise PlanError(f"--users {problem}")
    if duration_s is not None and duration_s <= 0:
        raise PlanError(f"--duration must be a positive number of seconds, got {duration_s:g}")
    if repeats < 1:
        raise PlanError(f"--repeat must be 1 or more, got {repeats}")
    if converge_pct is not None and not 0 < converge_pct < 100:
        raise PlanError(f"--converge must be a percentage above 0 and below 100, got {converge_pct:g}")
    if len(levels) > 1 and converge_pct is not None:
        raise PlanError("--converge ends a single level early; a sweep holds each of its levels")
    duration = duration_s or chosen.duration_s
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
            repeats,
            converge_pct,
            swept,
        )
        for repeat in range(1, repeats + 1)
        for setup in _pick("setup", setups, chosen.setups, matrix.setups)
        for scenario in _pick("scenario", scenarios, chosen.scenarios, matrix.scenarios)
        for variant in _pick("variant", variants, chosen.variants, VARIANTS)
        if variant in (matrix.scenarios[scenario].variants or VARIANTS)
    ]
    if not cells:
        raise PlanError("that selection has no cells (does the scenario offer those variants?)")
    return cells
