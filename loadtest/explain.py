"""Why theory missed a cell, in measured facts: written only when measured/predicted is
outside +-TOLERANCE, and never a guess: each fact is a figure the cell measured beside the
model's input it contradicts."""

from loadtest.model import Knee, db_busy_ms, db_cpu_s
from loadtest.records import Model

TOLERANCE = 0.10
CPU_DRIFT = 1.10  # CPU per request under load this far from its cost alone is worth naming
LAG_MS = 50.0
WOKE = (
    ": calibrated one request at a time, the server fell idle and woke inside each call,"
    " which a loaded server does not (make bench, section 7)"
)


def cpu_ms_expected(model: Model) -> float:
    """The scenario's CPU per request on a busy server, as calibrated, weighted by the shares."""
    endpoints = model.inputs.endpoints.values()
    total = sum(e.share for e in endpoints)
    return sum(e.share * e.cpu_ms_busy for e in endpoints) / total if total else 0.0


def _waits(model: Model) -> bool:
    """Whether an endpoint lets the server (or its database) idle inside its calls (its busy CPU was
    corrected)."""
    endpoints = model.inputs.endpoints.values()
    return any(e.cpu_ms_busy < e.cpu_ms_alone or db_busy_ms(e) < e.db_cpu_ms for e in endpoints)


def reason(
    model: Model,
    *,
    rps: float,
    cpu_ms_per_request: float | None,
    tokens_busy_max: float | None,
    loop_lag_max_ms: float | None,
    generator_cores_busy: float | None,
    generator_bound: bool,
    failures: int,
) -> str:
    """Empty within +-TOLERANCE; otherwise the ratio and every measured fact that bears on it."""
    predicted = model.predicted_rps
    if not predicted or abs(rps / predicted - 1) <= TOLERANCE:
        return ""
    facts = []
    expected = cpu_ms_expected(model)
    if cpu_ms_per_request and expected and not 1 / CPU_DRIFT <= cpu_ms_per_request / expected <= CPU_DRIFT:
        facts.append(
            f"each request cost {cpu_ms_per_request / expected:.1f}x the CPU calibrated "
            f"({cpu_ms_per_request:.2f} ms under load, {expected:.2f} ms calibrated)"
            + (WOKE if cpu_ms_per_request < expected and _waits(model) else "")
        )
    if generator_bound:
        facts.append(f"the load generator was the bottleneck ({generator_cores_busy:.2f} of a core)")
    tokens = model.inputs.thread_tokens
    if model.bound == "threads" and tokens_busy_max is not None and tokens_busy_max < 0.9 * tokens:
        facts.append(f"at most {tokens_busy_max:.0f} of a worker's {tokens} thread tokens were busy")
    if model.bound != "loop" and loop_lag_max_ms and loop_lag_max_ms > LAG_MS:
        facts.append(f"the event loop lagged up to {loop_lag_max_ms:,.0f} ms")
    if failures:
        facts.append(f"{failures:,} requests failed")
    found = "; ".join(facts) or "no measured cause found (CPU per request as alone, no lag, generator free)"
    return f"measured {rps / predicted:.2f}x the prediction: {found}"


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
        "cpu": f"CPU: {cpu_ms_expected(model):.2f} ms a request{_in_database(model)}, {inputs.cores} core(s)",
        "db": f"{inputs.db_connections} database connections{per_worker}",
    }
    return f"capped by {words[model.bound]}: {model.predicted_rps:,.0f} rps"


UNITS = {"threads": ("thread token", "thread tokens"), "loop": ("event loop", "event loops"),
         "pool": ("pool process", "pool processes"), "cpu": ("core", "cores"),
         "db": ("database connection", "database connections")}  # fmt: skip


def knee_words(knee: Knee) -> str:
    """Where a curve flattens, as its two factors, e.g. 'knee 40 users = 40 thread tokens / 0.99
    of a cycle holding one'."""
    unit = UNITS[knee.bound][knee.servers != 1]
    users = f"{knee.users:,.0f} user" + ("" if round(knee.users) == 1 else "s")
    held = "on a core" if knee.bound == "cpu" else "holding one"
    return f"knee {users} = {knee.servers} {unit} / {knee.share:.3g} of a cycle {held}"
