"""A sweep's levels of users: one rule for the command line, matrix.toml and the step shape,
so a list is refused the same way wherever it is written."""

import itertools

MAX_LEVELS = 12  # a level needs seconds of its own; more would make one cell last minutes
# The longest a level's users (a run is one level) may take to start, their on_start done, with
# the level's clock stopped: a slow sign-in takes no steady second away, and a swarm stays bounded.
START_LIMIT_S = 60.0
STATS_SUFFIX = "_levels.json"  # a sweep's stats, level by level, after the stem of Locust's --json-file


def parse(text: str) -> tuple[int, ...]:
    """'1,10,40' -> (1, 10, 40); ValueError naming the first entry that is not a whole number."""
    entries = [part.strip() for part in text.split(",")]
    for entry in entries:
        try:
            int(entry)
        except ValueError:
            raise ValueError(f"invalid int value: {entry!r}") from None
    return tuple(int(entry) for entry in entries)


def problem(levels: tuple[int, ...]) -> str | None:
    """Why these levels cannot be swept, in one line, or None: each positive, each above the one
    before (so every level is new and the shape only ever adds users), at most MAX_LEVELS."""
    for users in levels:
        if users <= 0:
            return f"must be a positive number, got {users}"
    for before, users in itertools.pairwise(levels):
        if users == before:
            return f"lists {users} twice"
        if users < before:
            return f"must increase: {users} comes after {before}"
    if len(levels) > MAX_LEVELS:
        return f"has {len(levels)} levels; at most {MAX_LEVELS}"
    return None
