"""Request metrics as a pure ASGI middleware.

BaseHTTPMiddleware would add a task and a memory stream per request; this adds two integer
updates on a tally that the lag probe publishes (see service.metrics), which keeps its
cost on /fast far below the 5% budget.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from service.metrics import TALLY


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        TALLY.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            TALLY.in_flight -= 1
            # The router stores the matched route in this same scope dict.
            TALLY.served[getattr(scope.get("route"), "path", None)] += 1
