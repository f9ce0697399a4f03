"""What every scenario shares: its options, the base user with its response checks and the /fast
probe, and the harness's own part of Locust (asyncgap.load: options, warm-up, convergence, the
target guard), which a user's locustfile gets too.

The /fast probe (an `async def` with no I/O) is mixed into every scenario and reported
under its own name: its latency is how a reader sees the event loop starve.
"""

import geventhttpclient.client
from locust import FastHttpUser, events, task

from asyncgap.core.names import FAST
from asyncgap.core.variants import VARIANTS
from asyncgap.load import guard, options  # noqa: F401  (the harness's options and warm-up)
from locustfiles import live, web_login  # noqa: F401  (live page, login handler)


def _never_resend(_method: str) -> bool:
    """geventhttpclient's resend policy, replaced: a request the server dropped is a failure.

    geventhttpclient silently resends an idempotent request on a fresh connection when the
    server closes the old one mid-request; FastHttpUser's max_retries=0 does not reach that
    layer. A worker that dies with requests in flight (gunicorn killing a blocked worker) then
    shows as slow requests, not failed ones. Users here never idle, so no keep-alive timeout
    can close a connection under them: every dropped request is the server's doing.
    """
    return False


if not callable(getattr(geventhttpclient.client, "_may_retry_after_send_error", None)):
    raise ImportError("geventhttpclient changed: no resend policy to replace (pinned: 2.6.1)")
geventhttpclient.client._may_retry_after_send_error = _never_resend


@events.init_command_line_parser.add_listener
def _add_options(parser) -> None:
    """The demo scenarios' options, in the web UI's swarm form too (the harness's own are
    asyncgap.load.options').

    `parser.add_argument`, not an argument group's: only Locust's own method marks an option
    for the web UI (`include_in_web_ui`), and a group's would silently stay out of it.
    """
    parser.add_argument(
        "--variant",
        choices=VARIANTS,
        default="async",
        env_var="LOCUST_VARIANT",
        help="how the service calls the work: sync (def), async, async-blocking",
    )
    parser.add_argument(
        "--work-ms", type=int, default=100, env_var="LOCUST_WORK_MS", help="length of a slow call, in ms"
    )
    parser.add_argument(
        "--work-n", type=int, default=20_000, env_var="LOCUST_WORK_N", help="size of a query or CPU job"
    )


class AsyncGapUser(FastHttpUser):
    """A closed-loop user (no think time): the next request leaves when the last one returns."""

    abstract = True

    def on_start(self) -> None:
        guard.check_user(self)  # a subclass's own on_start must call super().on_start() first

    @property
    def variant(self) -> str:
        return self.environment.parsed_options.variant

    @property
    def work_ms(self) -> int:
        return self.environment.parsed_options.work_ms

    @property
    def work_n(self) -> int:
        return self.environment.parsed_options.work_n

    def call(self, method: str, path: str, *, name: str | None = None, expect: int = 200, **kwargs) -> None:
        """One request, grouped under `name` (the path without its query), checked for `expect`."""
        with self.client.request(method, path, name=name or path, catch_response=True, **kwargs) as resp:
            if resp.status_code == 0:  # no answer at all: say why (connection refused, dropped...)
                resp.failure(f"no response: {resp.error!r}")
            elif resp.status_code != expect:
                resp.failure(f"HTTP {resp.status_code}, expected {expect}: {(resp.text or '')[:120]}")

    def call_variant(self, method: str, work: str, query: str = "", **kwargs) -> None:
        """A request to this user's variant of a kind of work, e.g. GET /sync/sleep?ms=100."""
        path = f"/{self.variant}/{work}"
        self.call(method, f"{path}?{query}" if query else path, name=path, **kwargs)

    @task(1)
    def fast(self) -> None:
        self.call("GET", FAST)
