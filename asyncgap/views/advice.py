"""A run of the user's own app read back as advice: for each swept cell, the server's curve and
its two knees, then per route its station and hops, its own curve (its rate against its requests
in flight) and knees, the loop and thread samples taken in its code, and the sentences written
from them (asyncgap/views/advice_text.py). Only swept cells of a run with `app` have advice."""

import math

from asyncgap.cell import knee, model
from asyncgap.core.advice import Advice, CellAdvice, CurvePoint, KneeFigures, RouteAdvice
from asyncgap.core.ownapp import RouteShape, route_for
from asyncgap.core.records import BlockingSite, CellResult, RunSummary
from asyncgap.views import advice_text
from asyncgap.views.formats import ok_cells

OWN_QUEUE = 2.0  # a route that waited twice as long as any other queued for something of its own
MIN_SHARE = 0.25  # a site with under a quarter of the route's largest site's threads is not where they queued
MIN_THREADS = 0.5  # nor is a site that held under half a thread on average


def build(summary: RunSummary) -> Advice | None:
    """The advice of a run of the user's own app (None for the demo's runs)."""
    if summary.app is None:
        return None
    swept = [c for c in ok_cells(summary.cells) if c.levels and c.model]
    missing = "" if swept else "no measured sweep: run with --users as a list (e.g. 1,2,5,10,20)"
    return Advice(
        target=summary.app.target,
        cells=[cell_advice(c, summary.app.routes) for c in swept],
        missing=missing,
    )


def cell_advice(cell: CellResult, routes: dict[str, RouteShape]) -> CellAdvice:
    """The server's curve against users with its knees, and each calibrated route's advice."""
    inputs = cell.model.inputs
    points = [knee.Point(level.users, level.rps or 0.0) for level in cell.levels]
    found = model.knee(inputs)
    figures = _knee_figures("users", points, model.cycle_s(inputs.endpoints), found)
    curve = [CurvePoint(users=lv.users, rps=lv.rps, predicted_rps=lv.predicted_rps) for lv in cell.levels]
    advice = CellAdvice(cell=cell.folder, setup=cell.setup, curve=curve, knee=figures)
    shapes = {name: route_for(name, routes, e.reached) for name, e in inputs.endpoints.items()}
    figured = [route_advice(cell, name, shapes[name]) for name in inputs.endpoints]
    cpu_ms = {name: model.cpu_ms(e) for name, e in inputs.endpoints.items()}
    shared = {r.endpoint: shared_queue(r, figured, cpu_ms) for r in figured}
    said = [
        r.model_copy(
            update={
                "own_queue": not shared[r.endpoint],
                "sentences": advice_text.route_sentences(cell, r, shapes[r.endpoint], shared[r.endpoint]),
            }
        )
        for r in figured
    ]
    return advice.model_copy(update={"routes": said, "sentences": advice_text.server_sentences(cell, advice)})


def shared_queue(route: RouteAdvice, routes: list[RouteAdvice], cpu_ms: dict[str, float]) -> str:
    """Why a route's wait at the last level was for what every route shares, or "" when it queued
    for something of its own: its requests waited past their round trip alone at least OWN_QUEUE
    times as long as any other route's, and, against the other routes that also run in the thread
    pool, as many times as long for each ms of CPU they cost. Waiting for the shared loop adds
    about as much to every route's requests, and threads waiting for the shared CPU (they take
    turns on it) wait in proportion to what each costs: a password hash waits longer than a
    lookup in the same queue. A pool of its own adds to its requests alone. The traffic's only
    route has no other to be told from: its rate is the server's."""
    if route.queued_ms is None or route.queued_ms <= 0:
        return "no longer than their round trip alone"
    others = [r for r in routes if r is not route and r.queued_ms is not None]
    if not others:
        return (
            "as the traffic's only route (no other route's wait tells a queue of its own from the server's)"
        )
    if any(route.queued_ms < OWN_QUEUE * max(other.queued_ms, 0.0) for other in others):
        return "under twice another route's wait"
    threads = [r for r in others if route.runs == r.runs == "threads"]
    if any(_per_cpu_ms(route, cpu_ms) < OWN_QUEUE * _per_cpu_ms(other, cpu_ms) for other in threads):
        return (
            "more than twice another route's wait but under twice it for each ms of CPU a request "
            "costs (threads take turns on the CPU: a costlier request waits longer in the same queue)"
        )
    return ""


def _per_cpu_ms(route: RouteAdvice, cpu_ms: dict[str, float]) -> float:
    """Its wait per ms of CPU a request costs (unbounded for a route that costs none)."""
    cost = cpu_ms.get(route.endpoint, 0.0)
    return (route.queued_ms or 0.0) / cost if cost > 0 else math.inf


def _knee_figures(
    load: str, points: list[knee.Point], round_trip_s: float, found: model.Knee | None
) -> KneeFigures:
    measured = knee.measured_knee(points, round_trip_s)
    return KneeFigures(
        load=load,
        model=None if found is None else round(found.users, 1),
        model_bound=None if found is None else found.bound,
        model_servers=None if found is None else found.servers,
        measured=measured and measured.knee,
        measured_level=measured and round(measured.level, 2),
        plateau_rps=measured and measured.plateau_rps,
    )


def route_curve(cell: CellResult, endpoint: str) -> list[CurvePoint]:
    """A route's rate at each level against its requests in flight there (rate x mean latency)."""
    points = []
    for level in cell.levels:
        figures = level.endpoints.get(endpoint)
        if figures is None:
            continue
        in_flight = figures.rps * figures.mean_ms / 1000 if figures.mean_ms is not None else None
        points.append(
            CurvePoint(
                users=level.users,
                in_flight=None if in_flight is None else round(in_flight, 2),
                rps=round(figures.rps, 2),
                predicted_rps=figures.predicted_rps,
            )
        )
    return points


def in_route(site: BlockingSite, route: RouteShape | None) -> bool:
    """Whether a sampled site ("relpath:line function") is in one of the route's own calls."""
    where, _, function = site.site.partition(" ")
    return _in_steps(where.rpartition(":")[0], function, route)


def _in_steps(path: str, function: str, route: RouteShape | None) -> bool:
    """Whether the function of that file is one of the route's own calls (a step)."""
    name = function.rsplit(".", 1)[-1]
    return route is not None and any(
        step.site.rpartition(":")[0] == path and step.call.rsplit(".", 1)[-1] == name for step in route.steps
    )


def _file_function(caller: str) -> tuple[str, str]:
    path, _, function = caller.rpartition(" ")
    return path, function


def route_part(site: BlockingSite, route: RouteShape | None) -> float:
    """The part of a loop site's time that was the route's: all of it when the site is in one of
    the route's own calls; else, when it is in a helper, the largest part of its time one of the
    route's calls was on the stack above it (the watchdog's `callers`)."""
    if in_route(site, route):
        return 1.0
    parts = [part for caller, part in site.callers.items() if _in_steps(*_file_function(caller), route)]
    return max(parts, default=0.0)


def _top(sites: list[BlockingSite] | None, route: RouteShape | None) -> BlockingSite | None:
    """The loop site that held the loop longest for the route, its share the route's part of it."""
    held = [(site.share * route_part(site, route), i) for i, site in enumerate(sites or [])]
    share, i = max(held, key=lambda item: (item[0], -item[1]), default=(0.0, -1))
    return sites[i].model_copy(update={"share": round(share, 4)}) if share > 0 and sites else None


def _step_of(site: BlockingSite, route: RouteShape) -> int:
    """The index of the first step of the request whose call the site is in."""
    name = site.site.partition(" ")[2].rsplit(".", 1)[-1]
    return next(
        (i for i, step in enumerate(route.steps) if step.call.rsplit(".", 1)[-1] == name), len(route.steps)
    )


def waited_site(sites: list[BlockingSite] | None, route: RouteShape | None) -> BlockingSite | None:
    """Where a route's threads waited for what limits it: a site the watchdog says was waiting if
    its records say so; else, of the sites holding at least MIN_SHARE of the route's largest,
    the one in the request's earliest step. Requests past a limit queue at its entrance, before
    the work it guards (a pool's checkout in a dependency, before the handler's query)."""
    mine = [site for site in sites or [] if in_route(site, route)]
    waiting = [site for site in mine if site.state == "waiting"]
    if waiting or not mine:
        return waiting[0] if waiting else None
    large = [site for site in mine if site.share >= MIN_SHARE * mine[0].share]
    return min(large, key=lambda site: (_step_of(site, route), -site.share))


def _holding(site: BlockingSite | None, busy: float | None) -> BlockingSite | None:
    """The site, if it held at least MIN_THREADS of the busy threads on average: a site the samples
    barely saw cannot be where a route's requests queued."""
    return site if site is not None and busy and busy * site.share >= MIN_THREADS else None


def _queued_ms(cell: CellResult, endpoint: str) -> float | None:
    """How long the route's requests waited past their round trip alone, at the last level."""
    figures = cell.levels[-1].endpoints.get(endpoint)
    if figures is None or figures.mean_ms is None:
        return None
    return round(figures.mean_ms - cell.model.inputs.endpoints[endpoint].round_trip_ms, 1)


def route_advice(cell: CellResult, endpoint: str, route: RouteShape | None) -> RouteAdvice:
    """One route's figures (its sentences are written once every route's are known)."""
    calibrated = cell.model.inputs.endpoints[endpoint]
    curve = route_curve(cell, endpoint)
    points = [knee.Point(p.in_flight or 0.0, p.rps or 0.0) for p in curve]
    found = model.route_knee(cell.model.inputs, endpoint)
    busy = cell.threads_busy_mean
    in_code = sum(site.share for site in cell.threads or [] if in_route(site, route))
    advice = RouteAdvice(
        endpoint=endpoint,
        station=calibrated.station,
        runs=route.runs if route else ("threads" if calibrated.station == "threads" else "loop"),
        hops=route and route.hops,
        curve=curve,
        knee=_knee_figures("in flight", points, calibrated.round_trip_ms / 1000, found),
        loop_site=_top(cell.blocking, route),
        thread_site=_holding(waited_site(cell.threads, route), busy),
        thread_sites=[site for site in cell.threads or [] if in_route(site, route)],
        thread_count=None if busy is None else round(busy * in_code, 1),
        queued_ms=_queued_ms(cell, endpoint),
    )
    return advice
