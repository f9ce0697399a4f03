"""Why theory missed a cell, in measured facts: written only when measured/predicted is
outside +-TOLERANCE, and never a guess: each fact is a figure the cell measured beside the
model's input it contradicts."""

import math
from collections.abc import Callable

from asyncgap.cell.model import (
    Knee,
    alone_cpu_ms,
    assumed_pace_ms,
    backlog,
    cycle_s,
    db_cpu_s,
    mix_of,
    predicted_cpu_ms,
    think_s,
)
from asyncgap.core.prediction import EndpointCalibration, Model
from asyncgap.core.records import Figures

TOLERANCE = 0.10
CPU_DRIFT = 1.10  # CPU per request under load this far from its hot calibration is worth naming
WAKE_DRIFT = 1.5  # wake-ups per request this far from the hot calibration name a mechanism
LAG_MS = 50.0
LOOP_NOTABLE = 0.01  # a loop blocked this share of the time has stalls worth placing
SITE_MOST = 0.5  # ... when one site holds at least this share of them
OUTSIDE_NOTABLE = 0.05  # requests outside the model's mix worth naming, as a share of all
POOL_DRIFT = 1.25  # connections to other servers this far from the hot calibration's name a pool
POOL_NOTABLE = 5  # ... when they differ by this many at least
THREADS_FULL = 0.9  # a threads-bound cell's busy thread tokens under this share of them: worth naming


def _weighted(
    model: Model,
    per_endpoint: Callable[[EndpointCalibration], float | None],
    weight: Callable[[EndpointCalibration], float] = lambda e: e.share,
) -> float | None:
    """A calibrated figure per request of the scenario, weighted by the shares or by `weight`
    (None if unmeasured). An endpoint of no weight (an on_start's sign-in, which no task sends)
    has no bearing."""
    values = [(w, per_endpoint(e)) for e in model.inputs.endpoints.values() if (w := weight(e))]
    total = sum(w for w, _ in values)
    if not total or any(value is None for _, value in values):
        return None
    return sum(w * value for w, value in values) / total


def reason(model: Model, figures: Figures) -> str:
    """Empty within +-TOLERANCE; otherwise the ratio and every measured fact that bears on it."""
    predicted, rps = model.predicted_rps, figures.rps
    if not predicted or abs(rps / predicted - 1) <= TOLERANCE:
        return ""
    mix = _another_mix(model, figures)
    cpu = _cpu_facts(model, figures, mix)
    facts = [
        *_outside_the_mix(model, figures),
        *_cycle_facts(model, figures),
        *_threads_facts(model, figures),
        *_mix_facts(model, mix),
        *_pace_facts(model, figures),
        *cpu,
        *(_pool_facts(model, figures) if cpu else []),
        *_database_facts(model, figures, mix),
        *(_loop_site(model, figures) if cpu else []),
        *_wake_facts(model, figures),
    ]
    if facts and figures.server_preemptions_per_request:
        facts.append(f"it was preempted {figures.server_preemptions_per_request:.2f} times a request")
    if figures.generator_bound:
        facts.append(f"the load generator was the bottleneck ({figures.generator_cores_busy:.2f} of a core)")
    lag = figures.loop_lag_max_ms
    if model.bound != "loop" and lag and lag > LAG_MS:
        facts.append(f"the event loop lagged up to {lag:,.0f} ms")
    if figures.failures:
        facts.append(f"{figures.failures:,} requests failed")
    found = (
        "; ".join(facts)
        or "no measured cause found (CPU and wake-ups per request as calibrated hot, no lag, generator free)"
    )
    return f"measured {rps / predicted:.2f}x the prediction: {found}"


def _outside_the_mix(model: Model, figures: Figures) -> list[str]:
    """Requests the model's mix gives no share: sent by no task, such as a second route a task
    calls, or a locustfile's `on_start` (a sign-up, a login) still running when the measured
    seconds began (the swarm waits for users to start, up to a minute). Measured with the
    window, never predicted."""
    shares = {name: e.share for name, e in model.inputs.endpoints.items()}
    outside = {name: f.requests for name, f in figures.endpoints.items() if not shares.get(name)}
    total, count = sum(f.requests for f in figures.endpoints.values()), sum(outside.values())
    if not total or count < OUTSIDE_NOTABLE * total:
        return []
    named = ", ".join(f"{n:,} {name}" for name, n in sorted(outside.items(), key=lambda item: -item[1]) if n)
    return [
        f"{count / total:.0%} of the requests ({named} of {total:,}) were outside the model's mix, "
        "sent by no task (an on_start still running? a task that calls two routes?)"
    ]


def _threads_facts(model: Model, figures: Figures) -> list[str]:
    """How full a threads-bound cell kept the thread tokens its bound counts all busy: at most
    some of them, or all at times and fewer on average (users that come back in waves fill them
    while a wave queues and leave them idle while it thinks). The average is of the threads
    running the application's code (the watchdog's), over the workers."""
    if model.bound != "threads":
        return []
    tokens, most, mean = model.inputs.thread_tokens, figures.tokens_busy_max, figures.threads_busy_mean
    if most and most < THREADS_FULL * tokens:  # 0: no sample read the tokens
        return [f"at most {most:.0f} of a worker's {tokens} thread tokens were busy"]
    if mean is not None and mean / model.inputs.workers < THREADS_FULL * tokens:
        return [
            f"a worker's threads ran {mean / model.inputs.workers:.1f} requests at a time on average, "
            f"of its {tokens} thread tokens"
        ]
    return []


def _measured_mix(model: Model, figures: Figures) -> dict[str, float] | None:
    """Each endpoint of the model's mix, its share of the requests the load made to them (None
    without one)."""
    made = {name: f.requests for name, f in figures.endpoints.items() if name in model.inputs.endpoints}
    total = sum(made.values())
    return {name: requests / total for name, requests in made.items()} if total else None


def _another_mix(model: Model, figures: Figures) -> dict[str, float] | None:
    """The load's measured mix when it cost a request another CPU, at calibration's costs, than
    calibration's mix does (None when it did not: the facts then compare in calibration's mix)."""
    mix, expected = _measured_mix(model, figures), predicted_cpu_ms(model)
    if not mix or not expected or not _drifted(predicted_cpu_ms(model, mix) / expected):
        return None
    return mix


def _cycle_facts(model: Model, figures: Figures) -> list[str]:
    """Where a user's cycle went, when users are what bound the cell: a closed loop's cycle is a
    response and then the load generator's time until that user's next request, and Little's law
    gives it (users / rps), against the round trip calibrated one call at a time. A slower server
    shows in the responses, a generator that takes its time between calls in the rest: what a
    1-user level of a route of a few ms misses by."""
    if model.bound != "connections" or not figures.rps or figures.mean_ms is None:
        return []
    cycle_ms = 1000 * model.inputs.users / figures.rps
    think_ms = 1000 * think_s(model.inputs.endpoints)
    calibrated_ms, between_ms = 1000 * cycle_s(model.inputs.endpoints) - think_ms, cycle_ms - figures.mean_ms
    thinking = f" and {think_ms:,.2f} ms of think time (its wait_time)" if think_ms else ""
    between = f", then {between_ms:,.2f} ms to the user's next request" if between_ms >= 0.005 else ""
    return [
        f"a user's cycle took {cycle_ms:,.2f} ms (users / rps), against a {calibrated_ms:.2f} ms round "
        f"trip calibrated one call at a time{thinking}: responses took {figures.mean_ms:.2f} ms on "
        f"average{between}"
    ]


def _mix_facts(model: Model, mix: dict[str, float] | None) -> list[str]:
    """Requests in another mix than calibrated, dear ones among them: an `on_start` that calls an
    endpoint of the mix (a sign-in) still running when the measured seconds began, or user
    classes whose rates moved apart under load (calibration mixes them by their rates alone).
    Named by the endpoint whose share moved the CPU a request the most, at calibration's costs.
    `mix` is the load's, from _another_mix."""
    if not mix:
        return []
    weighted = mix_of(model.inputs.endpoints)

    def moved_cpu(name: str) -> float:
        return abs(mix.get(name, 0.0) - weighted[name]) * predicted_cpu_ms(model, {name: 1.0})

    moved = max(weighted, key=moved_cpu)
    return [
        f"the requests came in another mix than calibrated: {mix.get(moved, 0.0):.0%} "
        f"{moved} against {weighted[moved]:.0%}, so {predicted_cpu_ms(model, mix):.2f} ms of CPU a "
        f"request as calibrated hot, against {predicted_cpu_ms(model):.2f} "
        "(an on_start still running? a user class slowed more than another?)"
    ]


def expected_pace_ms(model: Model) -> float | None:
    """The cores' pace the model's CPU figures are at: the minute's before the load, or in records
    made before it was, each burst's, weighted by its share of that CPU (None without the run's
    timer); a burst of no weight (an on_start's sign-in, which no task sends) has none here either."""
    return _weighted(model, assumed_pace_ms, lambda e: e.share * e.cpu_ms_busy)


def _pace_facts(model: Model, figures: Figures) -> list[str]:
    """The machine's own speed, when the server's cores ran at another pace under load than the
    model expected: the same work then cost that much more or less CPU. Named past CPU_DRIFT, or
    under it when it explains half the miss or more."""
    calibrated, loaded = expected_pace_ms(model), figures.pace_ms
    if not calibrated or not loaded:
        return []
    if not _drifted(loaded / calibrated) and not _explains_the_miss(model, figures, loaded / calibrated):
        return []
    how = (
        f"{loaded / calibrated:.2f}x slower" if loaded > calibrated else f"{calibrated / loaded:.2f}x faster"
    )
    return [
        f"the server's cores ran {how} under load than the prediction assumed "
        f"(a unit of reference work took {loaded:.3f} ms of CPU, against {calibrated:.3f})"
    ]


def _cpu_facts(model: Model, figures: Figures, mix: dict[str, float] | None) -> list[str]:
    """The CPU a request cost under load, when it is far from what calibration measured hot; at
    the pace of the cores the model expected and in the load's own mix, so that it names what
    neither the machine's speed nor the mix does."""
    expected, loaded = predicted_cpu_ms(model, mix), figures.server_cpu_ms_per_request
    at_pace = _at_expected_pace(model, figures, loaded)
    if not at_pace or not expected:
        return []
    if not _drifted(at_pace / expected) and not _explains_the_miss(model, figures, at_pace / expected):
        return []
    alone = _weighted(model, alone_cpu_ms)
    return [
        f"each request cost {at_pace / expected:.1f}x the CPU calibrated hot "
        f"({loaded:.2f} ms under load{_paced(loaded, at_pace)}, "
        f"{expected:.2f} ms hot{' in that mix' if mix else ''}{_backlogged(model)}, "
        f"{alone:.2f} ms alone)"
    ]


def _database_facts(model: Model, figures: Figures, mix: dict[str, float] | None) -> list[str]:
    """The database server's CPU a request under load, when it moved CPU_DRIFT from what
    calibration measured hot, whatever binds the cell: the model's CPU bound counts it beside the
    service's, and calibration's burst of one endpoint alone can load the database otherwise than
    the cell's mix does (db-pg async on two workers: 1.48 ms a request under load against 1.84
    hot, for 1.13x the prediction). At the pace the model expected (it runs on the server's cores)
    and in the load's mix, as the service's CPU is."""
    hot = 1000 * db_cpu_s(model.inputs.endpoints, mix)
    loaded = figures.db_cpu_ms_per_request
    at_pace = _at_expected_pace(model, figures, loaded)
    if not hot or not at_pace or not _drifted(at_pace / hot):
        return []
    alone = 1000 * db_cpu_s(model.inputs.endpoints, mix, alone=True)
    return [
        f"the database cost {at_pace / hot:.1f}x the CPU calibrated hot ({loaded:.2f} ms a request "
        f"under load{_paced(loaded, at_pace)}, {hot:.2f} ms hot{' in that mix' if mix else ''}, "
        f"{alone:.2f} ms alone)"
    ]


def _drifted(ratio: float) -> bool:
    """A figure under load CPU_DRIFT or more from its calibration, either way."""
    return not 1 / CPU_DRIFT <= ratio <= CPU_DRIFT


def _at_expected_pace(model: Model, figures: Figures, loaded: float | None) -> float | None:
    """CPU measured under load, as it would read at the cores' pace the model expected: the same
    work costs more CPU in a slow phase of the machine."""
    calibrated = expected_pace_ms(model)
    return loaded * calibrated / figures.pace_ms if loaded and calibrated and figures.pace_ms else loaded


def _paced(loaded: float, at_pace: float) -> str:
    """', 0.55 ms at the pace expected' when the pace changes the figure as printed."""
    return f", {at_pace:.2f} ms at the pace expected" if f"{at_pace:.2f}" != f"{loaded:.2f}" else ""


def _explains_the_miss(model: Model, figures: Figures, cost_ratio: float) -> bool:
    """In a CPU-bound cell, a request's cost (its CPU, or the cores' pace) moved the way the
    throughput missed, by half the miss or more: named under CPU_DRIFT too, as the mechanism it
    is (db sync on two workers sharing a core: 1.90 ms a request at the pace expected against
    1.77 hot, for 0.89 of the prediction)."""
    if model.bound != "cpu" or not figures.rps:
        return False
    miss = model.predicted_rps / figures.rps  # above 1 when the load fell short
    return (cost_ratio - 1) * (miss - 1) > 0 and abs(math.log(cost_ratio)) >= abs(math.log(miss)) / 2


def _loop_site(model: Model, figures: Figures) -> list[str]:
    """Where the CPU that grew went, when the watchdog placed the loop's stalls in one call of the
    application, on the CPU or waiting for a core: a client pool's poll, a parser, a serializer.
    Not for a loop-bound cell, whose blocked loop is the model's own input."""
    share, sites = figures.loop_blocked_share, figures.blocking or []
    if model.bound == "loop" or not share or share < LOOP_NOTABLE or not sites:
        return []
    top = sites[0]
    if not top.in_application or top.share < SITE_MOST or top.state not in ("cpu", "core"):
        return []
    return [f"the loop stalled {share:.0%} of the time, {top.share:.0%} of it in {top.in_words()}"]


def _pool_facts(model: Model, figures: Figures) -> list[str]:
    """The server's connections to other servers under load against the hot burst's, when its CPU
    per request moved: a client's pool sized by another concurrency, or shrunk by its idle
    connections' expiry (an httpx pool polls each idle one on every pass: docs/findings.md).
    gunicorn-2w's upstream async calls held 72 at the burst's end and 46 under a load of 12 s,
    where a request cost 4.3 ms of CPU against 6.7 hot. Weighted as the calibrated CPU is."""
    calibrated = _weighted(model, lambda e: e.outbound_busy, lambda e: e.share * e.cpu_ms_busy)
    loaded = figures.outbound_connections
    if calibrated is None or loaded is None or abs(loaded - calibrated) < POOL_NOTABLE:
        return []
    if loaded and calibrated and 1 / POOL_DRIFT <= loaded / calibrated <= POOL_DRIFT:
        return []
    return [
        f"it held {loaded:.0f} connections to other servers under load (a mean), against "
        f"{calibrated:.0f} at the end of calibration's hot burst: a client's pool of another size"
    ]


def _wake_facts(model: Model, figures: Figures) -> list[str]:
    """What the server's voluntary context switches per request say, under load against calibrated
    hot: more, it slept and woke between fewer requests (less work batched per wake, or GIL
    hand-offs between threads); fewer, each wake served more."""
    calibrated, loaded = _weighted(model, lambda e: e.wakeups_busy), figures.server_wakeups_per_request
    if calibrated and loaded is not None and not 1 / WAKE_DRIFT <= loaded / calibrated <= WAKE_DRIFT:
        how = "slept and woke more often" if loaded > calibrated else "served more per wake-up"
        return [
            f"the server {how}: {loaded:.2f} wake-ups (voluntary context switches) a request under load, "
            f"{calibrated:.2f} calibrated hot"
        ]
    return []


def _backlogged(model: Model) -> str:
    """' with 41 requests backlogged a worker' when the CPU per request grows with the backlog."""
    if not any(e.cpu_ms_per_backlog for e in model.inputs.endpoints.values()):
        return ""
    held = f"{backlog(model.inputs, model.predicted_rps):.0f}"
    return f" with {held} request{'' if held == '1' else 's'} backlogged a worker"


def _in_database(model: Model) -> str:
    """' + 0.31 ms in the database' when a database server's CPU is part of the demand."""
    database = 1000 * db_cpu_s(model.inputs.endpoints)
    return f" + {database:.2f} ms in the database" if database else ""


def in_words(model: Model) -> str:
    """The binding bound as a reader would say it, e.g. 'capped by 40 thread tokens'."""
    inputs = model.inputs
    per_worker = "" if inputs.workers == 1 else f" in each of {inputs.workers} workers"
    words = {
        "connections": f"{inputs.users} user{'s' if inputs.users != 1 else ''}, one request out each",
        "threads": f"{inputs.thread_tokens} thread tokens{per_worker}",
        "loop": f"one event loop{per_worker}, blocked by each call",
        "pool": f"{inputs.pool_processes} pool processes{per_worker}",
        "cpu": f"CPU: {predicted_cpu_ms(model):.2f} ms a request{_backlogged(model)}{_in_database(model)}, "
        f"{inputs.cores} core(s)",
        "db": f"{inputs.db_connections} database connections{per_worker}",
    }
    return f"capped by {words[model.bound]}: {model.predicted_rps:,.0f} rps"


UNITS = {
    "threads": ("thread token", "thread tokens"),
    "loop": ("event loop", "event loops"),
    "pool": ("pool process", "pool processes"),
    "cpu": ("core", "cores"),
    "db": ("database connection", "database connections"),
}


def knee_words(knee: Knee) -> str:
    """Where a curve flattens, as its two factors, e.g. 'knee 40 users = 40 thread tokens / 0.99
    of a cycle holding one'."""
    unit = UNITS[knee.bound][knee.servers != 1]
    users = f"{knee.users:,.0f} user" + ("" if round(knee.users) == 1 else "s")
    held = "on a core" if knee.bound == "cpu" else "holding one"
    return f"knee {users} = {knee.servers} {unit} / {knee.share:.3g} of a cycle {held}"
