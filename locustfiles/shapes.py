"""A step ramp for finding the knee: add users in steps and hold each step, then stop.

Use beside a scenario: locust -f locustfiles/sleep_mix.py,locustfiles/shapes.py
Throughput rises with users until the bottleneck (thread tokens, the event loop) saturates;
past the knee only latency grows. Step size and hold come from LOCUST_STEP_USERS,
LOCUST_STEP_SECONDS and LOCUST_STEPS.
"""

import os

from locust import LoadTestShape


class StepRamp(LoadTestShape):
    step_users = int(os.environ.get("LOCUST_STEP_USERS", "20"))
    step_seconds = float(os.environ.get("LOCUST_STEP_SECONDS", "10"))
    steps = int(os.environ.get("LOCUST_STEPS", "10"))

    def tick(self) -> tuple[int, float] | None:
        step = int(self.get_run_time() // self.step_seconds)
        if step >= self.steps:
            return None
        users = (step + 1) * self.step_users
        return users, users  # spawn each step at once: the knee, not the ramp, is the subject
