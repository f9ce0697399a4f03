"""Traffic for the fixture app (tests/apps/capped.py) in which each route has users of its own:
with one class per route, a route's requests in flight are its class's users, so each route's
curve is measured apart from the others' (in a mix, every route's rate follows the total)."""

from locust import HttpUser, constant, task


class PooledUser(HttpUser):
    """Calls the route behind the pool of 5, again and again: two of every three users, so that
    the pool is passed by a few levels while the non-blocking route's users stay few."""

    weight = 2
    wait_time = constant(0)

    @task
    def pooled(self) -> None:
        self.client.get("/pooled")


class ReadyUser(HttpUser):
    """Calls the truly non-blocking route, again and again."""

    weight = 1
    wait_time = constant(0)

    @task
    def ready(self) -> None:
        self.client.get("/ready")
