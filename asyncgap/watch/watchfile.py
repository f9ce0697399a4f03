"""The watchdog's per-worker file: what blocked its event loop and what its thread pool did.

Each instrumented worker (asyncgap/watch/watchdog.py) rewrites `asyncgap-watch-<pid>.json` in its
metrics folder, atomically, a few times a second. The harness and the live page read it from
outside, so a blocked loop cannot hide what blocks it (a scrape of /metrics would wait for it).

Totals are cumulative since the worker started: a reader diffs two readings. `loop` and
`threads` map callee -> call site -> seconds (thread-seconds for `threads`), e.g.
`{"time.sleep": {"service/routes/sleep.py:20 sleep_blocking": 12.5}}`. `executor` is the same for
the loop's default executor (`run_in_executor(None, ...)`, `asyncio.to_thread`): a second pool,
whose threads `threads` leaves out. Each `*_states` maps a call site's key (`key(callee, site)`)
to what its samples did -> seconds, e.g. `{"waiting threading.Condition.wait": 3.2}` (the
states of asyncgap/watch/threadstate.py); they were added later, so older files have them empty.
"""

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

PREFIX = "asyncgap-watch-"
SUFFIX = ".json"
METRICS_DIR_ENV = ("ASYNCGAP_METRICS_DIR", "PROMETHEUS_MULTIPROC_DIR")  # first set wins

Sites = dict[str, dict[str, float]]  # callee -> call site -> seconds


class WatchFileError(ValueError):
    """A watch file that cannot be read or is not one; the message is one line."""


@dataclass
class Watch:
    """One worker's reading. `lag_s` is the worst lateness of the last second, `blocked_now`
    the call site holding the loop at the time of writing (empty when the loop runs)."""

    pid: int
    written_at: float  # time.time()
    watching_s: float  # seconds since the watchdog started: the denominator of the shares
    threshold_s: float
    loop_blocked_s: float = 0.0
    loop: Sites = field(default_factory=dict)
    threads_busy_s: float = 0.0  # token-seconds of threads running application code
    threads: Sites = field(default_factory=dict)
    lag_s: float = 0.0
    tokens_busy: int = 0
    tokens_total: int = 0
    blocked_now: str = ""
    loop_states: Sites = field(default_factory=dict)  # key(callee, site) -> "state innermost" -> seconds
    threads_states: Sites = field(default_factory=dict)
    executor_busy_s: float = 0.0  # thread-seconds of the default executor's threads in application code
    executor: Sites = field(default_factory=dict)
    executor_states: Sites = field(default_factory=dict)
    executor_busy: int = 0  # its threads in application code at the last sample
    executor_total: int = 0  # its max_workers; 0 until the loop creates it
    loop_callers: Sites = field(default_factory=dict)  # key(callee, site) -> "relpath function" -> seconds

    def to_json(self) -> dict:
        return asdict(self)


POOLS = ("loop", "threads", "executor")  # each has a map of sites and one of their states
SITES = (*POOLS, *(f"{pool}_states" for pool in POOLS), "loop_callers")


def key(callee: str, site: str) -> str:
    """A call site's key in the `*_states` maps: `time.sleep <- service/routes/sleep.py:20 sleep_blocking`."""
    return f"{callee} <- {site}"


def metrics_dir(environ: dict[str, str] | os._Environ = os.environ) -> Path | None:
    """Where watch files go: ASYNCGAP_METRICS_DIR, else PROMETHEUS_MULTIPROC_DIR, else nowhere."""
    for name in METRICS_DIR_ENV:
        if environ.get(name):
            return Path(environ[name])
    return None


def path_for(directory: Path, pid: int) -> Path:
    return directory / f"{PREFIX}{pid}{SUFFIX}"


def write(directory: Path, watch: Watch) -> None:
    """Replace the worker's file in one rename, so a reader never sees half of it."""
    path = path_for(directory, watch.pid)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(watch.to_json(), separators=(",", ":")))
    os.replace(tmp, path)


def _sites(value: object, name: str) -> Sites:
    if not isinstance(value, dict) or not all(
        isinstance(sites, dict) and all(isinstance(s, (int, float)) for s in sites.values())
        for sites in value.values()
    ):
        raise WatchFileError(f"{name} is not a map of callee -> call site -> seconds")
    return {str(c): {str(s): float(v) for s, v in sites.items()} for c, sites in value.items()}


def parse(data: object) -> Watch:
    """A Watch from decoded JSON, checked field by field; anything else is a WatchFileError."""
    if not isinstance(data, dict):
        raise WatchFileError("not a JSON object")
    try:
        watch = Watch(**data)
    except TypeError as exc:
        raise WatchFileError(f"missing or unknown fields ({exc})") from None
    numbers = (
        "written_at",
        "watching_s",
        "threshold_s",
        "loop_blocked_s",
        "threads_busy_s",
        "executor_busy_s",
    )
    for name in (*numbers, "lag_s"):
        if not isinstance(getattr(watch, name), (int, float)):
            raise WatchFileError(f"{name} is not a number")
    for name in SITES:
        setattr(watch, name, _sites(getattr(watch, name), name))
    return watch


def read(path: Path) -> Watch:
    """One worker's file; unreadable, partial or foreign content is a WatchFileError."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WatchFileError(f"{path.name}: {exc}") from None
    try:
        return parse(data)
    except WatchFileError as exc:
        raise WatchFileError(f"{path.name}: {exc}") from None


def read_all(directory: Path) -> dict[str, Watch]:
    """Every worker's file in a folder, by pid; a bad file raises (its reader decides what that means)."""
    return {
        path.name.removeprefix(PREFIX).removesuffix(SUFFIX): read(path)
        for path in sorted(directory.glob(f"{PREFIX}*{SUFFIX}"))
    }
