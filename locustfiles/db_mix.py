"""SQLite traffic: mostly reads, some durable writes, a recursive query of --work-n rows; and /fast."""

from locust import task

from locustfiles.common import AsyncGapUser


class DbMix(AsyncGapUser):
    @task(5)
    def read_notes(self) -> None:
        self.call_variant("GET", "notes", "limit=10")

    @task(2)
    def write_note(self) -> None:
        self.call_variant("POST", "notes", json={"text": "load test note"}, expect=201)

    @task(2)
    def query(self) -> None:
        self.call_variant("GET", "query", f"n={self.work_n}")
