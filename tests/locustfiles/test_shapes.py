"""The step ramp's levels and what a sweep saves as each ends, driven by a fake clock and runner
in a child process (Locust monkey-patches the standard library on import)."""

import json
import subprocess
import sys
import textwrap

from tests.paths import ROOT

DRIVE = textwrap.dedent(
    """
    import json, sys
    from types import SimpleNamespace
    from locustfiles.shapes import StepRamp

    class Stats:
        def __init__(self):
            self.requests, self.resets = 0, 0
        def serialize_stats(self):
            return [{"name": "/x", "num_requests": self.requests}]
        def serialize_errors(self):
            return {}
        def reset_all(self):
            self.requests, self.resets = 0, self.resets + 1

    stats = Stats()
    options = SimpleNamespace(levels=sys.argv[2], level_s=2.0, json_file=sys.argv[1] or None)
    shape = StepRamp()
    shape.runner = SimpleNamespace(stats=stats, environment=SimpleNamespace(parsed_options=options))
    ticks = []
    for now in (0.0, 1.0, 2.1, 3.0, 4.2, 6.3):
        shape.get_run_time = lambda now=now: now
        stats.requests += 10
        ticks.append(shape.tick())
    print(json.dumps({"ticks": ticks, "resets": stats.resets}))
    """
)


def drive(json_file: str, levels: str = "1,10,40") -> dict:
    done = subprocess.run(
        [sys.executable, "-c", DRIVE, json_file, levels], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_each_level_is_held_then_the_shape_ends(tmp_path):
    got = drive(str(tmp_path / "locust"))
    assert got["ticks"] == [[1, 1], [1, 1], [10, 10], [10, 10], [40, 40], None]


def test_a_sweep_saves_each_level_as_it_ends_and_clears_all_but_the_last(tmp_path):
    got = drive(str(tmp_path / "locust"))
    saved = json.loads((tmp_path / "locust_levels.json").read_text())
    assert [level["users"] for level in saved] == [1, 10, 40]
    assert [level["entries"][0]["num_requests"] for level in saved] == [30, 20, 10]  # its own requests only
    assert got["resets"] == 2  # the last level's stats stay: Locust's own reports are of it


def test_without_levels_it_is_the_web_uis_ramp_and_saves_nothing(tmp_path):
    got = drive(str(tmp_path / "locust"), levels="")
    assert got["ticks"][0] == [20, 20] and got["resets"] == 0  # LOCUST_STEP_USERS' default
    assert not (tmp_path / "locust_levels.json").exists()
