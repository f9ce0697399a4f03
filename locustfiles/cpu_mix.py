"""CPU-bound jobs of --work-n steps mixed 9:1 with /fast: where async def cannot help, a process pool can."""

from locust import task

from locustfiles.common import AsyncGapUser


class CpuMix(AsyncGapUser):
    @task(9)
    def cpu(self) -> None:
        self.call_variant("GET", "cpu", f"n={self.work_n}")
