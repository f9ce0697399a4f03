"""`asyncgap.appside.entry:app`: what the servers import instead of the user's app.

It imports the app named by ASYNCGAP_APP (MODULE:ATTR, from the app's folder, which the
launcher puts on the path) and wraps it with asyncgap.watch's ASGI wrapper, so the watchdog
starts with the app's lifespan (or its first request) and stops with it, writing its watch file
to ASYNCGAP_METRICS_DIR; the app's code is not touched. A setup that fixes its thread tokens
(ASYNCGAP_THREAD_TOKENS) has them applied when the watchdog starts, as the model is told.
"""

import os

from asyncgap.appside.load import load_app
from asyncgap.watch.asgi import watched

APP_ENV = "ASYNCGAP_APP"
TOKENS_ENV = "ASYNCGAP_THREAD_TOKENS"

app = watched(
    load_app(os.environ[APP_ENV]),
    thread_tokens=int(tokens) if (tokens := os.environ.get(TOKENS_ENV)) else None,
)
