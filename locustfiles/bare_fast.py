"""A bare FastHttpUser on /fast: the benchmark's yardstick for the pack's own per-request cost.

It imports locustfiles.common only so that Locust accepts the options the harness passes
(--variant, --warmup); its user shares no code with the pack's users.
"""

from locust import FastHttpUser, task

import locustfiles.common  # noqa: F401  (declares the shared command-line options)


class BareFast(FastHttpUser):
    @task
    def fast(self) -> None:
        self.client.get("/fast")
