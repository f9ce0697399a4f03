"""Traffic for the fixture app (tests/apps/capped.py) written with Locust's TaskSets, as many
locustfiles are: a TaskSet that reads and sometimes leaves, and a SequentialTaskSet that calls
two routes in turn."""

from typing import ClassVar

from locust import HttpUser, SequentialTaskSet, TaskSet, constant, task


class Browse(TaskSet):
    @task(3)
    def ready(self) -> None:
        self.client.get("/ready")

    @task(1)
    def leave(self) -> None:
        self.interrupt()  # back to the user, which picks again: no call of its own


class Flow(SequentialTaskSet):
    @task
    def first(self) -> None:
        self.client.get("/ready")

    @task
    def then(self) -> None:
        self.client.get("/reports/summary")


class BrowsingUser(HttpUser):
    wait_time = constant(0)
    tasks: ClassVar[list] = [Browse]


class FlowUser(HttpUser):
    wait_time = constant(0)
    tasks: ClassVar[list] = [Flow]
