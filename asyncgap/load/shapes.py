"""A step ramp for finding the knee: hold each level of users for a while, then stop.

Use beside a scenario: locust -f locustfiles/sleep_mix.py,locustfiles/shapes.py
Throughput rises with users until the bottleneck (thread tokens, the event loop) saturates;
past the knee only latency grows. In the web UI the levels are equal steps, from
LOCUST_STEP_USERS, LOCUST_STEP_SECONDS and LOCUST_STEPS. The harness's sweeps give them
with --levels 1,10,40 and --level-s: each level's stats are then saved as it ends (its
warm-up was discarded by common.py's reset, as in a single-level run) beside --json-file
(asyncgap.core.levels.STATS_SUFFIX), and cleared, so each level counts only its own requests.
"""

import json
import os
from pathlib import Path

from locust import LoadTestShape

from asyncgap.core import levels
from asyncgap.load import starts
from asyncgap.load.options import reset_stats


class StepRamp(LoadTestShape):
    """Levels of users, each held for a while, spawned at once; then the end of the test."""

    def __init__(self) -> None:
        super().__init__()
        self._level: int | None = None  # the index of the level being held
        self._saved: list[dict] = []

    def reset_time(self) -> None:
        super().reset_time()  # a new test from the web UI starts from the first level
        self._level = None
        self._saved = []

    def _options(self):
        return self.runner.environment.parsed_options if self.runner else None

    def plan(self) -> tuple[tuple[int, ...], float]:
        """The users of each level, and how long each is held."""
        options = self._options()
        if options is not None and options.levels:
            return levels.parse(options.levels), options.level_s
        step = int(os.environ.get("LOCUST_STEP_USERS", "20"))
        steps = int(os.environ.get("LOCUST_STEPS", "10"))
        return tuple(step * (i + 1) for i in range(steps)), float(os.environ.get("LOCUST_STEP_SECONDS", "10"))

    def tick(self) -> tuple[int, float] | None:
        users, hold_s = self.plan()
        level = int((self.get_run_time() - starts.paused_s()) // hold_s)  # not while users start
        if self._level is not None and level != self._level:
            self._leave(users[self._level], last=level >= len(users))
        self._level = level
        if level >= len(users):
            return None
        return users[level], users[level]  # spawn each level at once: the knee, not the ramp, is the subject

    def _leave(self, users: int, *, last: bool) -> None:
        """A harness sweep's level ends: save its stats, then clear them for the next level
        before it adds its users (the last level's stay: Locust's own reports are of it)."""
        options = self._options()
        if options is None or not options.levels or not options.json_file:
            return
        stats = self.runner.stats
        saved = {"users": users, "entries": stats.serialize_stats(), "errors": stats.serialize_errors()}
        self._saved.append(saved)
        Path(f"{options.json_file}{levels.STATS_SUFFIX}").write_text(json.dumps(self._saved))
        if not last:
            reset_stats(self.runner)
