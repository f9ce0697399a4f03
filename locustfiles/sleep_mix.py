"""Sleeps of --work-ms (default 100 ms) mixed 9:1 with the /fast probe: pure waiting, the textbook case."""

from locust import task

from locustfiles.common import AsyncGapUser


class SleepMix(AsyncGapUser):
    @task(9)
    def sleep(self) -> None:
        self.call_variant("GET", "sleep", f"ms={self.work_ms}")
