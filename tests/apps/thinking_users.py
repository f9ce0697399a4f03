"""Traffic for the fixture app (tests/apps/capped.py) whose users think between calls, as most
locustfiles' do: one class waits 30 to 70 ms after each call, the other paces a call every
100 ms. Its /ready sleeps 20 ms, so a user spends most of its cycle thinking, none of it in the
server: a model of users with no think time would predict several times their rate."""

from locust import HttpUser, between, constant_pacing, task


class ThinkingUser(HttpUser):
    wait_time = between(0.03, 0.07)

    @task
    def ready(self) -> None:
        self.client.get("/ready")


class PacedUser(HttpUser):
    wait_time = constant_pacing(0.1)

    @task
    def ready(self) -> None:
        self.client.get("/ready")
