"""Traffic for the backend of FastAPI's full-stack template (docs/own-app.md): a signed-in user
who reads its own profile and the items list, and signs in again now and then.

The credentials come from the environment Locust inherits from `asyncgap run`
(FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD), as the template's own prestart reads them.
"""

import os

from locust import HttpUser, constant, task


class TemplateUser(HttpUser):
    wait_time = constant(0)  # no think time: every user presses the server (a wait_time is modeled too)

    def on_start(self) -> None:
        self.login()

    @task(1)
    def login(self) -> None:
        """The password hash runs on every sign-in: part of the load a real user brings."""
        form = {
            "username": os.environ.get("FIRST_SUPERUSER", "admin@example.com"),
            "password": os.environ["FIRST_SUPERUSER_PASSWORD"],
        }
        with self.client.post("/api/v1/login/access-token", data=form, catch_response=True) as got:
            if got.ok:
                self.client.headers["Authorization"] = f"Bearer {got.json()['access_token']}"
            else:
                got.failure(f"sign-in refused: {got.status_code}")

    @task(3)
    def me(self) -> None:
        self.client.get("/api/v1/users/me")

    @task(3)
    def items(self) -> None:
        self.client.get("/api/v1/items/")
