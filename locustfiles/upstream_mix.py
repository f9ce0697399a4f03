"""Outbound HTTP calls to an upstream that answers after --work-ms, mixed 9:1 with /fast."""

from locust import task

from locustfiles.common import AsyncGapUser


class UpstreamMix(AsyncGapUser):
    @task(9)
    def upstream(self) -> None:
        self.call_variant("GET", "upstream", f"ms={self.work_ms}")
