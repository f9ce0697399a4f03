"""Traffic for the fixture app (tests/apps/capped.py) whose users think between calls, as most
locustfiles' do: one class waits 300 to 700 ms after each call, the other paces a call every
100 ms. Its /ready sleeps 20 ms, so a user spends most of its cycle thinking, none of it in the
server: a model of users with no think time would predict several times their rate. The two
cycles differ five-fold, so the classes send their requests at rates their weights do not give:
5 users of each send about 10 and 50 a second."""

from locust import HttpUser, between, constant_pacing, task


class ThinkingUser(HttpUser):
    wait_time = between(0.3, 0.7)

    @task
    def ready(self) -> None:
        self.client.get("/ready")


class PacedUser(HttpUser):
    wait_time = constant_pacing(0.1)

    @task
    def ready(self) -> None:
        self.client.get("/ready")
