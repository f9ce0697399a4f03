"""Users spawned together start out of phase: asyncgap.load.desync, run in a child process (Locust
monkey-patches the standard library on import, which this test process must not be)."""

import subprocess
import sys

from tests.paths import ROOT

PROBE = """
import time
from types import SimpleNamespace
from locust import events
from locust.env import Environment
from locustfiles.sleep_mix import SleepMix
import asyncgap.load.desync as desync

started = []
original = SleepMix.on_start
SleepMix.on_start = lambda user: started.append(time.monotonic())
env = Environment(user_classes=[SleepMix], events=events)
events.init.fire(environment=env, runner=None, web_ui=None)
events.init.fire(environment=env, runner=None, web_ui=None)  # wrapped once, however often
assert SleepMix.on_start.desynced
user = SimpleNamespace(environment=SimpleNamespace(parsed_options=SimpleNamespace(start_jitter_ms={jitter})))
waits = []
for _ in range(20):
    before = time.monotonic()
    SleepMix.on_start(user)
    waits.append(started[-1] - before)
print(min(waits), max(waits))
"""


def waits(jitter_ms: float) -> tuple[float, float]:
    probe = PROBE.format(jitter=jitter_ms)
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    low, high = map(float, done.stdout.split())
    return low, high


def test_each_user_starts_after_a_random_part_of_the_jitter_and_runs_its_own_on_start():
    low, high = waits(50.0)
    assert high > 0.01 and high - low > 0.01  # spread: 20 draws in [0, 50 ms)
    assert high < 0.5  # a part of 50 ms, with room for a loaded machine


def test_no_jitter_starts_every_user_at_once():
    _low, high = waits(0.0)
    assert high < 0.01
