"""Traffic for the fixture app (tests/apps/capped.py) written as many locustfiles are: with
Locust's TaskSets (one that reads and sometimes leaves, and a SequentialTaskSet that calls two
routes in turn, one request named by a label of its own), and a setup on test_start that the
tasks need (here the path to read; in a real one, ids fetched from the app or accounts signed up)."""

from typing import ClassVar

from locust import HttpUser, SequentialTaskSet, TaskSet, constant, events, task

READABLE: list[str] = []


@events.test_start.add_listener
def _prepare(environment, **_kwargs) -> None:
    READABLE.append("/ready")


class Browse(TaskSet):
    @task(3)
    def ready(self) -> None:
        self.client.get(READABLE[0])  # an IndexError unless test_start ran

    @task(1)
    def leave(self) -> None:
        self.interrupt()  # back to the user, which picks again: no call of its own


class Flow(SequentialTaskSet):
    @task
    def first(self) -> None:
        self.client.get("/ready")

    @task
    def then(self) -> None:
        self.client.get("/reports/summary", name="Read the summary")  # a label: its URL is the route


class BrowsingUser(HttpUser):
    wait_time = constant(0)
    tasks: ClassVar[list] = [Browse]


class FlowUser(HttpUser):
    wait_time = constant(0)
    tasks: ClassVar[list] = [Flow]
