"""A tour of the FastAPI async tutorial's endpoints, the slow one chosen by --variant.

`sync` takes /slow-blocking (def + time.sleep, run in the thread pool) and `async` takes
/slow-non-blocking (async def + asyncio.sleep); both last --work-ms. Alongside them the
tour calls /hello, /notes/ and /call-other-api, as a reader of the tutorial would.
"""

from locust import task

from locustfiles.common import AsyncGapUser

SLOW = {"sync": "/slow-blocking", "async": "/slow-non-blocking"}


class TutorialTour(AsyncGapUser):
    @task(3)
    def slow(self) -> None:
        path = SLOW[self.variant]
        self.call("GET", f"{path}?seconds={self.work_ms / 1000}", name=path)

    @task(3)
    def hello(self) -> None:
        self.call("GET", "/hello")

    @task(2)
    def notes(self) -> None:
        self.call("GET", "/notes/")

    @task(1)
    def call_other_api(self) -> None:
        self.call("GET", "/call-other-api")
