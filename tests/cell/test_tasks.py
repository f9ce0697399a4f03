"""A locustfile's tasks flattened for calibration (asyncgap.cell.tasks), run in a child process:
Locust monkey-patches the standard library on import, which this test process must not be."""

import json
import subprocess
import sys

from tests.paths import ROOT

PROBE = """
import json
from locust import SequentialTaskSet, TaskSet, User, between, constant, constant_pacing, task
from locust.env import Environment
from asyncgap.cell import tasks

calls = []

class Browse(TaskSet):
    wait_time = constant(0.5)

    @task(3)
    def read(self):
        calls.append("read")

    @task(1)
    def leave(self):
        self.interrupt()

class Checkout(SequentialTaskSet):
    @task
    def cart(self):
        calls.append("cart")

    @task
    def pay(self):
        calls.append("pay")

def home(user):
    calls.append("home")

class Shopper(User):
    wait_time = constant(0.25)
    tasks = {Browse: 2, Checkout: 1, home: 1}

class Paced(User):
    wait_time = constant_pacing(0.1)
    tasks = [home]

class Thinking(User):
    wait_time = between(3, 5)
    tasks = [home]

class Reading(TaskSet):  # no wait_time of its own: its user's
    tasks = [home]

class ThinkingReader(User):
    wait_time = between(3, 5)
    tasks = [Reading]

    def on_start(self):
        self.user = "alice"  # a locustfile's own attribute, named as a TaskSet's user is

class Scheduled(User):  # a wait_time of its own, with state: the waits it has left
    tasks = [home]

    def on_start(self):
        self.schedule = [1.0, 2.0, 3.0]

    def wait_time(self):
        return self.schedule.pop(0)

class Nested(SequentialTaskSet):
    tasks = [Browse]

class Lost(User):
    tasks = [Nested]

user = Shopper(Environment(user_classes=[Shopper]))
ran = []
for step in tasks.steps(Shopper):
    calls.clear()
    think = step.run(user)
    ran.append([step.name, step.weight, list(calls), think, tasks.mean_think_s(step, user)])
paced = Paced(Environment(user_classes=[Paced]))
(step,) = tasks.steps(Paced)
pace = [step.run(paced) for _ in range(3)]
paced_mean = tasks.mean_think_s(step, paced)
thinking = [tasks.mean_think_s(tasks.steps(Thinking)[0], Thinking(Environment())) for _ in range(20)]
reader = ThinkingReader(Environment())
reader.on_start()
reading = tasks.mean_think_s(tasks.steps(ThinkingReader)[0], reader)
scheduled = Scheduled(Environment())
scheduled.on_start()
counted = tasks.mean_think_s(tasks.steps(Scheduled)[0], scheduled), scheduled.schedule
try:
    tasks.steps(Lost)
    refused = None
except tasks.Unsupported as exc:
    refused = str(exc)
found = {"ran": ran, "pace": pace, "paced_mean": paced_mean, "thinking": thinking, "reading": reading}
found["counted"] = counted
print(json.dumps({**found, "refused": refused}))
"""


def probe() -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_tasksets_are_flattened_into_their_functions_with_their_weights_and_think_times():
    got = probe()
    # last, each step's mean think time: none for these `constant` waits, which each run draws
    assert got["ran"] == [
        ["read", 0.375, ["read"], 0.5, None],  # Browse: 2 of 4, its read 3 of 4; its own wait_time
        ["leave", 0.125, [], 0.5, None],  # interrupts: no call (calibration skips it), no traceback
        ["Checkout", 0.25, ["cart", "pay"], 0.5, None],  # in order, one step, the user's wait after each
        ["home", 0.25, ["home"], 0.25, None],
    ]
    assert all(0.09 < think <= 0.1 for think in got["pace"]), got["pace"]  # paced against the run alone
    assert got["refused"].startswith("the SequentialTaskSet Nested runs a TaskSet (Browse) in its order")


def test_locusts_between_gives_its_mean_and_any_other_wait_time_none():
    got = probe()
    # between(3, 5): the mean of a thousand draws (0.02 s at one standard deviation), where one
    # draw is anywhere in 3 to 5 s; a TaskSet's that defers to its user's too
    assert all(3.9 < think < 4.1 for think in got["thinking"]), got["thinking"]
    assert 3.9 < got["reading"] < 4.1, got["reading"]
    assert got["paced_mean"] is None  # a pace draws against each run
    assert got["counted"] == [None, [1.0, 2.0, 3.0]]  # its own, with state: not drawn at all
