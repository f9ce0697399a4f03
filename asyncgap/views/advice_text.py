"""The advice's sentences, each written from figures of the run (asyncgap/views/advice.py): the
levels, the model and what it gives when one thing changes, the loop and thread samples. A
sentence whose figure is missing is left out, never written with a guess."""

from dataclasses import replace

from asyncgap.cell import knee, model
from asyncgap.core.advice import CellAdvice, RouteAdvice
from asyncgap.core.ownapp import RouteShape
from asyncgap.core.prediction import Model
from asyncgap.core.records import BlockingSite, CellResult

FLATTENS = "It flattens at"  # how a limiter's sentence begins (the console picks them out)
WELL_BELOW = 0.5  # a measured knee under half the model's: a limit the model was not told about
SERVERS = {
    "threads": "thread tokens",
    "loop": "event loop(s)",
    "pool": "pool processes",
    "db": "database connections",
    "cpu": "core(s)",
}


def servers(count: int | None, bound: str | None) -> str:
    """ "40 thread tokens", "1 core(s)": a station's servers, named."""
    return f"{count} {SERVERS.get(bound or '', bound)}"


def what_if(cell: CellResult, *, station: tuple[str, str] | None = None, **server: int) -> Model:
    """The model of the cell's last level with one thing changed: a route's station (endpoint,
    station) or the server's (workers=, thread_tokens=)."""
    inputs = cell.model.inputs
    endpoints = dict(inputs.endpoints)
    if station is not None:
        name, moved = station
        endpoints[name] = endpoints[name].model_copy(update={"station": moved, "hops": 1})
    return model.predict(endpoints, inputs.users, replace(model.server_of(inputs), **server))


def _bound(m: Model) -> str:
    return f"{m.predicted_rps:,.0f} rps (bound: {m.bound})"


def _site(site: BlockingSite) -> str:
    return f"{site.callee} ← {site.site}"


def server_sentences(cell: CellResult, advice: CellAdvice) -> list[str]:
    """The server's curve against users, its knees, and what more workers would give."""
    k, last = advice.knee, cell.levels[-1]
    first = cell.levels[0]
    out = [
        f"{cell.setup}: {first.rps or 0:,.0f} rps at {first.users} users, "
        f"{last.rps or 0:,.0f} at {last.users}."
    ]
    if k.measured is not None:
        out.append(
            f"The curve flattened: a measured knee at {k.measured:.1f} users, its best rate "
            f"({k.plateau_rps:,.0f} rps) x a user's {_cycle_words(cell)} alone; its last level had "
            f"{last.users / k.measured:.1f}x that many users."
        )
    else:
        out.append(f"The curve still rose at {last.users} users: no knee measured.")
    if k.model is not None:
        out.append(
            f"The model's knee: {k.model:.1f} users, where its {k.model_bound} bound "
            f"({servers(k.model_servers, k.model_bound)}) meets the users' rate."
        )
    if k.model and k.measured is not None and k.measured < WELL_BELOW * k.model:
        out.append(
            f"Measured at {k.measured / k.model:.0%} of the model's knee: a limit the model was not "
            "told about; the routes below name it."
        )
    workers = cell.model.inputs.workers + 1
    out.append(
        f"At {last.users} users the model gives {_bound(cell.model)}; with {workers} workers, "
        f"{_bound(what_if(cell, workers=workers))}."
    )
    return out + _cpu_spent(cell.model)


def _cpu_spent(m: Model) -> list[str]:
    """Where the CPU goes, when it binds: each route's part of an average request's CPU (its share
    of the requests x its CPU measured hot, at the backlog the prediction implies, the database's
    included), the largest first."""
    if m.bound != "cpu":
        return []
    backlog = model.backlog(m.inputs, m.predicted_rps)
    call_ms = {name: model.cpu_ms(e, backlog) + model.db_busy_ms(e) for name, e in m.inputs.endpoints.items()}
    parts = {name: e.share * call_ms[name] for name, e in m.inputs.endpoints.items()}
    whole = sum(parts.values())
    if whole <= 0:
        return []
    name, part = max(parts.items(), key=lambda item: item[1])
    e = m.inputs.endpoints[name]
    return [
        f"The CPU binds: an average request costs {whole:.1f} ms of it, {part / whole:.0%} of that in "
        f"{name} ({call_ms[name]:.1f} ms a call, {e.share:.0%} of the requests)."
    ]


def _runs(advice: RouteAdvice, route: RouteShape | None, tokens: int) -> list[str]:
    """Where the route runs, its station, and its hops."""
    if route is None:
        return [f"{advice.endpoint}: no route of the app matches it; calibration gave it `{advice.station}`."]
    where = "on the event loop" if route.runs == "loop" else "in the thread pool"
    out = [
        f"{advice.endpoint}: its handler runs {where} ({route.handler}); its station is `{advice.station}`."
    ]
    hops = [
        f"{step.call.rsplit('.', 1)[-1]} ({step.role})" for step in route.steps if step.where == "threads"
    ]
    if hops:
        out.append(
            f"A request makes {len(hops)} thread-pool hop(s), each holding one of {tokens} tokens in turn: "
            + ", ".join(hops)
            + (
                f"; and {route.teardown_threads} teardown thread(s) outside the tokens."
                if route.teardown_threads
                else "."
            )
        )
    else:
        out.append("A request makes no thread-pool hop.")
    return out


def _loop(cell: CellResult, advice: RouteAdvice) -> list[str]:
    users = cell.levels[-1].users
    if cell.blocking is None or cell.loop_blocked_share is None:
        return [f"No loop samples at {users} users ({cell.blocking_missing or 'none recorded'})."]
    if advice.loop_site is not None:
        held = cell.loop_blocked_share * advice.loop_site.share
        return [
            f"At {users} users it blocked the event loop {held:.0%} of the time in {_site(advice.loop_site)}."
        ]
    return [
        f"At {users} users none of the loop's blocked time ({cell.loop_blocked_share:.0%} of the time) "
        "was in its code."
    ]


def _cycle_words(cell: CellResult) -> str:
    """What a user's cycle holds: its round trip, and its think time when its locustfile has one."""
    return "cycle (round trip and think time)" if model.think_s(cell.model.inputs.endpoints) else "round trip"


def _curve(advice: RouteAdvice, round_trip_ms: float) -> list[str]:
    k, curve = advice.knee, [p for p in advice.curve if p.rps and p.in_flight]
    out = []
    if k.measured is not None:
        out.append(
            f"Its rate flattened: a measured knee at {k.measured:.1f} in flight, its best rate "
            f"({k.plateau_rps:,.0f} rps) x its round trip alone ({round_trip_ms:.1f} ms); its last level "
            f"had {curve[-1].in_flight / k.measured:.1f}x that many in flight."
        )
    elif len(curve) >= 2:
        moved = "rose" if curve[-1].rps >= curve[0].rps else "fell"
        out.append(
            f"Its rate {moved} from {curve[0].rps:,.0f} to {curve[-1].rps:,.0f} rps over the sweep, "
            f"at {curve[0].in_flight:g} to {curve[-1].in_flight:g} in flight: no knee measured."
        )
    if k.model is not None:
        out.append(
            f"The model's knee for it: {k.model:.1f} in flight ({servers(k.model_servers, k.model_bound)} "
            f"over the {k.model_servers / k.model:.0%} of its round trip it holds one)."
        )
    else:
        out.append(
            f"The model gives it no knee of its own: `{advice.station}` holds nothing the server has few of."
        )
    return out


def _below(advice: RouteAdvice) -> bool:
    """Whether the route flattened well below the model's knee for it (or where it has none)."""
    k = advice.knee
    return k.measured is not None and (k.model is None or k.measured < WELL_BELOW * k.model)


def _limiter(cell: CellResult, advice: RouteAdvice, shared: str) -> list[str]:
    """What held a route that flattened well below the model's knee: what all routes share, or
    something of its own, named from the samples."""
    k = advice.knee
    if not _below(advice):
        return []
    if shared:
        return [
            f"Its rate follows the whole server's: its requests waited {advice.queued_ms or 0:,.0f} ms past "
            f"their round trip alone, {shared}, so they queued for what every "
            f"route shares (the server's bound at {cell.model.inputs.users} users: {_bound(cell.model)})."
        ]
    not_at = (
        f"not at {k.model:.0f} ({servers(k.model_servers, k.model_bound)})"
        if k.model
        else "with no ceiling in the model"
    )
    site, busy = advice.thread_site, cell.threads_busy_mean
    if site is not None and busy:
        verb = "waited" if site.state == "waiting" else "were"
        others = "; ".join(
            f"{busy * other.share:.0f} in {_site(other)}" for other in advice.thread_sites if other != site
        )
        return [
            f"{FLATTENS} {k.measured:.1f} in flight, {not_at}: "
            f"{busy * site.share:.0f} of {busy:.0f} busy threads {verb} in {_site(site)}"
            + (f" (and {others})." if others else ".")
        ]
    if advice.loop_site is not None:
        return [
            f"{FLATTENS} {k.measured:.1f} in flight, {not_at}: "
            f"it holds the loop in {_site(advice.loop_site)}."
        ]
    top = (cell.blocking or [None])[0]
    if top is not None and cell.loop_blocked_share:
        return [
            f"{FLATTENS} {k.measured:.1f} in flight, {not_at}: the loop it waits for was blocked "
            f"{cell.loop_blocked_share:.0%} of the time, most in {_site(top)}."
        ]
    return [f"{FLATTENS} {k.measured:.1f} in flight, {not_at}; no sample in its code names why."]


def _change(cell: CellResult, advice: RouteAdvice, route: RouteShape | None, own: bool) -> list[str]:
    """The change that would move the route's bound, with what the model or the samples give it."""
    inputs = cell.model.inputs
    users, tokens = inputs.users, inputs.thread_tokens
    if advice.loop_site is not None:
        service = inputs.endpoints[advice.endpoint].service_ms
        moved = what_if(cell, station=(advice.endpoint, "threads"))
        return [
            f"Make it `def`, or await {advice.loop_site.callee} in a thread (anyio.to_thread.run_sync): it "
            f"would hold one of {tokens} tokens for its {service:.1f} ms instead of the one loop; the model "
            f"then gives {_bound(moved)} at {users} users, against {_bound(cell.model)}."
        ]
    site, k = advice.thread_site, advice.knee
    if (
        own
        and _below(advice)
        and site is not None
        and advice.thread_count is not None
        and cell.threads_busy_mean
    ):
        return _pool_change(cell, advice, route, site)
    if (
        advice.station == "threads"
        and k.measured is not None
        and not _below(advice)
        and k.model_bound == "threads"
    ):
        more = what_if(cell, thread_tokens=2 * tokens)
        return [f"The tokens bind it: with {2 * tokens} tokens per worker the model gives {_bound(more)}."]
    points = [knee.Point(p.in_flight or 0.0, p.rps or 0.0) for p in advice.curve]
    if k.model is None and knee.rises(points, inputs.endpoints[advice.endpoint].round_trip_ms / 1000):
        return [
            "It holds nothing the server has few of: its rate rose with its requests in flight; "
            f"the server's bound at {users} users: {_bound(cell.model)}."
        ]
    return []


def _pool_change(
    cell: CellResult, advice: RouteAdvice, route: RouteShape | None, site: BlockingSite
) -> list[str]:
    """A route held by a limit of its own (a pool, a semaphore): its size as the samples show it,
    the size the tokens would need, more workers, and the deadlock its hops risk."""
    waiting = cell.threads_busy_mean * site.share
    holders = max(advice.thread_count - waiting, 0.0)
    workers, k = cell.model.inputs.workers, advice.knee
    out = [
        f"The limit is what {site.site.partition(' ')[2] or site.site} waits for: about {holders:.0f} of its "
        f"requests held it at once while {waiting:.0f} waited."
    ]
    if k.model is not None:
        out.append(
            f"A limit of {k.model / workers:.0f} per worker would let its "
            f"{SERVERS.get(k.model_bound or '', k.model_bound)} bind it instead."
        )
    if k.plateau_rps is not None:
        out.append(
            "If each worker has its own (a pool per process, as SQLAlchemy's), "
            f"{workers + 1} workers would give about "
            f"{k.plateau_rps * (workers + 1) / workers:,.0f} rps on this route, if the CPU allows "
            f"(the model's CPU bound: {cell.model.bounds_rps.get('cpu', 0):,.0f} rps)."
        )
    setup = route is not None and any(s.role == "setup" for s in route.steps if _same_call(site, s.call))
    if setup and route.hops >= 2:
        tokens = cell.model.inputs.thread_tokens
        out.append(
            f"It keeps what it waits for across {route.hops - 1} more hop(s): past {tokens + holders:.0f} "
            f"requests in flight on one worker, all its {tokens} tokens can wait in {site.callee} "
            f"while the {holders:.0f} holders "
            "wait for a token for their next hop (a deadlock); a token limit above the users, or an "
            "async dependency, avoids it."
        )
    return out


def _same_call(site: BlockingSite, call: str) -> bool:
    return call.rsplit(".", 1)[-1] == site.site.partition(" ")[2].rsplit(".", 1)[-1]


def route_sentences(
    cell: CellResult, advice: RouteAdvice, route: RouteShape | None, shared: str
) -> list[str]:
    """Every sentence of a route's advice, in reading order; `shared`: why it queued for what every
    route shares, "" when for something of its own (asyncgap.views.advice.shared_queue)."""
    round_trip = cell.model.inputs.endpoints[advice.endpoint].round_trip_ms
    return [
        *_runs(advice, route, cell.model.inputs.thread_tokens),
        *_loop(cell, advice),
        *_curve(advice, round_trip),
        *_limiter(cell, advice, shared),
        *_change(cell, advice, route, own=not shared),
    ]
