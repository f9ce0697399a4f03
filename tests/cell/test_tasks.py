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

class Counting(User):  # a wait_time of its own that keeps state: each wait a second longer
    waits = 0
    tasks = [home]

    def wait_time(self):
        self.waits += 1
        return float(self.waits)

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
counting = Counting(Environment(user_classes=[Counting]))
counted = tasks.mean_think_s(tasks.steps(Counting)[0], counting), counting.waits
try:
    tasks.steps(Lost)
    refused = None
except tasks.Unsupported as exc:
    refused = str(exc)
found = {"ran": ran, "pace": pace, "paced_mean": paced_mean, "thinking": thinking, "counted": counted}
print(json.dumps({**found, "refused": refused}))
"""


def probe() -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_tasksets_are_flattened_into_their_functions_with_their_weights_and_think_times():
    got = probe()
    assert got["ran"] == [
        ["read", 0.375, ["read"], 0.5, 0.5],  # Browse: 2 of 4, its read 3 of 4; its own wait_time
        ["leave", 0.125, [], 0.5, 0.5],  # interrupts: no call (calibration skips it), no traceback
        ["Checkout", 0.25, ["cart", "pay"], 0.5, 0.5],  # in order, one step, the user's wait after each
        ["home", 0.25, ["home"], 0.25, 0.25],
    ]
    assert all(0.09 < think <= 0.1 for think in got["pace"]), got["pace"]  # paced against the run alone
    assert got["refused"].startswith("the SequentialTaskSet Nested runs a TaskSet (Browse) in its order")


def test_a_wait_time_that_keeps_no_state_gives_its_mean_and_one_that_does_none():
    got = probe()
    # between(3, 5): the mean of a thousand draws (0.02 s at one standard deviation), where one
    # draw is anywhere in 3 to 5 s
    assert all(3.9 < think < 4.1 for think in got["thinking"]), got["thinking"]
    assert got["paced_mean"] is None  # a pace draws against each run
    assert got["counted"] == [None, 1]  # a state of its own: one draw told it so, and no more
