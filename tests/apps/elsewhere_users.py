"""Traffic for the fixture app (tests/apps/capped.py) written with a host of its own in its URLs,
as some locustfiles are (`f"{HOST}/api"`): Locust then ignores the run's host, and the load would
go to that server. Port 9 (discard) has no server here: the calls are refused."""

from locust import HttpUser, constant, task

HOST = "http://127.0.0.1:9"


class PinnedUser(HttpUser):
    wait_time = constant(0)

    @task
    def ready(self) -> None:
        self.client.get(f"{HOST}/ready")

    @task
    def summary(self) -> None:
        self.client.get(f"{HOST}/reports/summary")
