"""How each route of an app runs: its handler on the event loop or in the thread pool, and the
thread-pool hops one request makes, read from FastAPI's own dependency tree.

FastAPI solves a route's dependencies depth first (a dependency's own dependencies before it),
each once per request unless `use_cache=False`, and runs:
- an `async def` (or async generator) dependency, and an `async def` handler, on the loop;
- a `def` dependency (a class too: its __init__ is a plain call) and a `def` handler in the
  thread pool, each call a *hop* that holds one of anyio's tokens while it runs;
- a sync generator dependency's setup in the pool (a hop), and its teardown in a worker thread
  of its own limiter (fastapi.concurrency.contextmanager_in_threadpool): a thread, no token;
- a `def` handler's response model validated in the pool too (routing.serialize_response).

Whether a call is async is FastAPI's own verdict where the app's version has one: a private
function of fastapi.dependencies.models (0.13x on), a Dependant property (0.121 on) or a public
function of fastapi.dependencies.utils (0.110 to 0.120); the modules are those the app loaded,
never imported here. Plain `inspect` decides otherwise, as the newest FastAPI does.
"""

import functools
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

STATION_KEY = "x-asyncgap-station"  # asyncgap.core.stations.OPENAPI_KEY (a test holds them equal)
KINDS = ("is_gen_callable", "is_async_gen_callable", "is_coroutine_callable")


@dataclass(frozen=True)
class Step:
    """One call a request makes: what it calls, where it runs, and in which role."""

    call: str  # module.qualname
    where: str  # "loop", "threads" (holds a token) or "thread" (a worker thread, no token)
    role: str  # "dependency", "setup", "teardown", "handler" or "response"
    site: str  # relpath:line of its definition ('' when unknown)


@dataclass
class Route:
    method: str
    path: str
    handler: str
    runs: str  # "loop" or "threads": where the handler itself runs
    declared: str | None = None  # the route's own x-asyncgap-station, if any
    steps: list[Step] = field(default_factory=list)

    @property
    def hops(self) -> int:
        """Calls that each take a thread-pool token, in turn, during one request."""
        return sum(step.where == "threads" for step in self.steps)

    def to_json(self) -> dict:
        teardowns = sum(step.where == "thread" for step in self.steps)
        return {**asdict(self), "hops": self.hops, "teardown_threads": teardowns}


def _own_verdict(kind: str, call: Callable) -> bool:
    """FastAPI's newest rule: a partial or a decorated function is judged by what it wraps, an
    object by its __call__, a class never async."""
    test = {
        "is_gen_callable": inspect.isgeneratorfunction,
        "is_async_gen_callable": inspect.isasyncgenfunction,
        "is_coroutine_callable": inspect.iscoroutinefunction,
    }[kind]
    while isinstance(call, functools.partial):
        call = call.func
    unwrapped = inspect.unwrap(call)
    if test(call) or test(unwrapped):
        return True
    if inspect.isclass(unwrapped):
        return False
    dunder = getattr(unwrapped, "__call__", None)  # noqa: B004
    return dunder is not None and (test(dunder) or test(inspect.unwrap(dunder)))


def _fastapi_function(kind: str) -> Callable | None:
    """FastAPI's own function for `kind`, in the modules the app has loaded."""
    for module, name in (("fastapi.dependencies.models", f"_{kind}"), ("fastapi.dependencies.utils", kind)):
        found = getattr(sys.modules.get(module), name, None)
        if callable(found):
            return found
    return None


def verdict(kind: str, dependant: object) -> bool:
    """Whether the dependant's call is of `kind`, as the app's FastAPI decides it."""
    if isinstance(getattr(type(dependant), kind, None), (property, functools.cached_property)):
        return bool(getattr(dependant, kind))
    rule = _fastapi_function(kind)
    call = dependant.call
    return bool(rule(call)) if rule is not None else _own_verdict(kind, call)


def describe(call: object, root: str) -> tuple[str, str]:
    """(module.qualname, relpath:line) of a callable, as well as it can be named."""
    target = call.func if isinstance(call, functools.partial) else call
    target = inspect.unwrap(target)  # functools.lru_cache, functools.wraps: the function they wrap
    if not (inspect.isfunction(target) or inspect.ismethod(target) or inspect.isclass(target)):
        target = type(target)  # an instance with __call__ (OAuth2PasswordBearer, say)
    name = f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', repr(target))}"
    try:
        path = inspect.getsourcefile(target) or ""
        line = inspect.getsourcelines(target)[1]
    except (OSError, TypeError):
        return name, ""
    shown = os.path.relpath(path, root) if os.path.realpath(path).startswith(root + os.sep) else path
    return name, f"{shown}:{line}"


def _cache_key(dependant: object) -> object:
    """What FastAPI caches a dependency's value under within one request."""
    key = getattr(dependant, "cache_key", None)
    if key is None:
        get_key = getattr(sys.modules.get("fastapi.dependencies.models"), "_get_cache_key", None)
        key = get_key(dependant=dependant) if get_key else (dependant.call,)
    try:
        hash(key)
    except TypeError:
        return id(dependant.call)
    return key


def _calls_of(dependant: object, root: str) -> list[Step]:
    """The steps of calling one dependency (its own dependencies already solved)."""
    name, site = describe(dependant.call, root)
    if verdict("is_gen_callable", dependant):
        return [Step(name, "threads", "setup", site), Step(name, "thread", "teardown", site)]
    if verdict("is_async_gen_callable", dependant):
        return [Step(name, "loop", "setup", site), Step(name, "loop", "teardown", site)]
    where = "loop" if verdict("is_coroutine_callable", dependant) else "threads"
    return [Step(name, where, "dependency", site)]


def dependency_steps(dependant: object, root: str, solved: set | None = None) -> list[Step]:
    """Every dependency call of a request, in FastAPI's order (a generator's teardown beside its
    setup; the route orders them), cached ones once."""
    solved = set() if solved is None else solved
    steps: list[Step] = []
    for sub in getattr(dependant, "dependencies", None) or []:
        steps += dependency_steps(sub, root, solved)
        key = _cache_key(sub)
        if getattr(sub, "use_cache", True) and key in solved:
            continue
        solved.add(key)
        steps += _calls_of(sub, root)
    return steps


def api_route(route: object, path: str, root: str) -> list[Route]:
    """A FastAPI route: its dependencies, its handler, and a `def` handler's response validation."""
    dependant = route.dependant
    threads = not verdict("is_coroutine_callable", dependant)
    name, site = describe(route.endpoint, root)
    steps = dependency_steps(dependant, root)
    setups = [s for s in steps if s.role != "teardown"]
    teardowns = [s for s in reversed(steps) if s.role == "teardown"]  # an exit stack: last in, first out
    handler = [Step(name, "threads" if threads else "loop", "handler", site)]
    if threads and getattr(route, "response_field", None) is not None:
        handler.append(Step(name, "threads", "response", site))
    declared = (getattr(route, "openapi_extra", None) or {}).get(STATION_KEY)
    ordered = [*setups, *handler, *teardowns]
    return [
        Route(method, path, f"{site} {name}".strip(), "threads" if threads else "loop", declared, ordered)
        for method in sorted(route.methods or ())
    ]


def plain_route(route: object, path: str, root: str) -> list[Route]:
    """A Starlette route of a function: Starlette runs a `def` in the pool, an `async def` on the loop."""
    endpoint = route.endpoint
    if not inspect.isfunction(endpoint) and not inspect.ismethod(endpoint):
        return []  # an endpoint class or an ASGI app: no single handler to judge
    where = "loop" if inspect.iscoroutinefunction(endpoint) else "threads"
    name, site = describe(endpoint, root)
    methods = sorted(set(route.methods or ()) - {"HEAD"} or route.methods or ())
    return [
        Route(m, path, f"{site} {name}", where, None, [Step(name, where, "handler", site)]) for m in methods
    ]


def walk(routes: list, root: str, prefix: str = "") -> Iterator[Route]:
    """Every HTTP route, with its full path: mounted sub-applications' and included routers'
    (copied into the app's routes up to FastAPI 0.15x, kept as `_IncludedRouter`s after)."""
    for route in routes:
        included = getattr(route, "effective_candidates", None)
        if callable(included):  # FastAPI 0.16x: an included router, its routes resolved on demand
            yield from walk(included(), root, prefix)
            continue
        path = prefix + (getattr(route, "path", "") or "")
        if hasattr(route, "dependant") and hasattr(route, "endpoint") and getattr(route, "methods", None):
            yield from api_route(route, path, root)
        elif hasattr(route, "endpoint") and getattr(route, "methods", None):
            yield from plain_route(route, path, root)
        elif isinstance(getattr(route, "routes", None), list):  # a Mount of a router or an app
            yield from walk(route.routes, root, path)


def router_of(app: object) -> list | None:
    """The app's routes, through middleware that wraps it (`.app`), or None when it has none."""
    for _ in range(20):  # a wrapper chain is short; a cycle must not hang the walk
        routes = getattr(app, "routes", None)
        if isinstance(routes, list):
            return routes
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None
