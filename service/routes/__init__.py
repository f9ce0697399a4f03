"""One router per kind of work; the app includes them in this order."""

from service.routes import cpu, notes, probes, query, sleep, tutorial, upstream

ROUTERS = [
    probes.router,
    sleep.router,
    notes.router,
    query.router,
    upstream.router,
    cpu.router,
    tutorial.router,
]
