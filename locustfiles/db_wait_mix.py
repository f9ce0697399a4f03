"""A database that makes you wait: most calls are a query that spends --work-ms inside PostgreSQL
(pg_sleep) before its --work-n rows, beside reads and durable writes; and /fast.

This is where a networked database spends its time: waiting on the server, not the service's
CPU. A thread per wait caps `sync` at its tokens; asyncpg waits on the event loop.
"""

from locust import task

from locustfiles.common import AsyncGapUser


class DbWaitMix(AsyncGapUser):
    @task(1)
    def read_notes(self) -> None:
        self.call_variant("GET", "notes", "limit=10")

    @task(1)
    def write_note(self) -> None:
        self.call_variant("POST", "notes", json={"text": "load test note"}, expect=201)

    @task(8)
    def waiting_query(self) -> None:
        self.call_variant("GET", "query", f"n={self.work_n}&ms={self.work_ms}")
