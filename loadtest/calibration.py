"""Before a cell's load: check its URLs and measure each endpoint alone on the idle server.

The round trip, the CPU alone and the share come from `loadtest.verify` (its own process);
the station comes from the route's own declaration in the server's /openapi.json. What a
call spends outside the server's stations (the client, the kernel, loopback) is the round
trip of the /fast probe less its CPU: /fast holds the loop only for that CPU. So

    service_ms(e) = max(round_trip(e) - (round_trip(/fast) - cpu_alone(/fast)), cpu_alone(e))

Without that, a 1 ms database call would count a 0.5 ms client round trip as time holding
the event loop, and the loop's bound would come out a third too low.

A call that waits (its round trip WAITS_MS over its CPU, the database's included: a 6 ms query
that the database spends computing keeps the shared core busy) lets the idle server fall asleep
inside it, and waking costs CPU that a loaded server, never idle, does not pay. verify
measures one wake (/fast after a pause, less /fast back to back) and the CPU bound uses

    cpu_busy(e) = max(cpu_alone(e) - wake, cpu_alone(/fast))   for a call that waits

With a database server, verify measures such a call's CPU on a busy server directly instead,
the service's and the database's (`cpu_ms_busy`, `db_cpu_ms_busy`), with many of its calls in
flight: alone, the database backend falls asleep inside it too, and the wake grows with the wait.
"""

import json
import sys
from pathlib import Path

import httpx
from pydantic import TypeAdapter

from core.names import FAST, endpoint_key
from core.stations import OPENAPI_KEY, STATIONS
from loadtest import children
from loadtest.files import write_json
from loadtest.records import EndpointCalibration

TIMEOUT_S = 90.0
NAME = "calibration.json"
WAITS_MS = 5.0  # a call this much longer than its CPU lets the server idle inside it (bench section 7)


class CalibrationError(RuntimeError):
    """An endpoint that failed its check or could not be measured: its cell fails before the load."""


def _measure(
    cell_dir: Path, locustfile: str, host: str, server_pid: int, options: list[str],
    db_pid: int | None = None, alone: list[str] = (),
) -> dict:
    found, log = cell_dir / "verify.json", cell_dir / "verify.log"
    argv = [sys.executable, "-m", "loadtest.verify", str(found), locustfile, "--host", host,
            "--server-pid", str(server_pid), *(["--db-pid", str(db_pid)] if db_pid else []),
            *(f"--alone={name}" for name in alone), *options]  # fmt: skip
    try:
        code = children.run(argv, log_path=log, timeout=TIMEOUT_S)
    except children.Overrun:
        raise CalibrationError(f"checking the scenario's URLs took over {TIMEOUT_S:g} s") from None
    if code != 0:
        tail = log.read_text(errors="replace").strip()[-800:]
        raise CalibrationError(f"checking the scenario's URLs failed ({code}):\n{tail}")
    measured = json.loads(found.read_text())
    broken = {name: e["error"] for name, e in measured["endpoints"].items() if e["error"]}
    if broken:
        raise CalibrationError("URL check failed: " + "; ".join(f"{n}: {err}" for n, err in broken.items()))
    return measured


def declared_stations(host: str) -> dict[str, str]:
    """Endpoint key -> station, from the declarations in the server's OpenAPI schema."""
    try:
        schema = httpx.get(f"{host}/openapi.json", timeout=10).raise_for_status().json()
    except (httpx.HTTPError, ValueError) as exc:
        raise CalibrationError(f"cannot read the stations from {host}/openapi.json: {exc}") from None
    return {
        endpoint_key(method.upper(), path): operation[OPENAPI_KEY]
        for path, methods in schema.get("paths", {}).items()
        for method, operation in methods.items()
        if isinstance(operation, dict) and operation.get(OPENAPI_KEY) in STATIONS
    }


def waits(round_trip_ms: float, cpu_ms: float, db_cpu_ms: float = 0.0) -> bool:
    """Whether a call lets the idle server fall asleep inside it: neither the service nor the
    database works for WAITS_MS of its round trip (a query the database spends computing keeps
    the shared core busy)."""
    return round_trip_ms - cpu_ms - db_cpu_ms >= WAITS_MS


def busy_ms(m: dict, wake_ms: float | None, floor_ms: float) -> float:
    """CPU per request on a busy server: as measured with calls in flight (verify) if it was,
    else a call that waits less the one wake it paid alone."""
    if "cpu_ms_busy" in m:
        return m["cpu_ms_busy"]
    if wake_ms is None or not waits(m["round_trip_ms"], m["cpu_ms_alone"], m.get("db_cpu_ms", 0.0)):
        return m["cpu_ms_alone"]
    return round(max(m["cpu_ms_alone"] - wake_ms, floor_ms), 4)


def outside_ms(measured: dict[str, dict]) -> float:
    """What a call spends outside the server's stations, judged by /fast (0 without it)."""
    fast = measured.get(FAST)
    return max(0.0, fast["round_trip_ms"] - fast["cpu_ms_alone"]) if fast else 0.0


def calibrate(
    cell_dir: Path, *, locustfile: str, host: str, server_pid: int, options: list[str],
    db_pid: int | None = None,
) -> dict[str, EndpointCalibration]:
    """Check and measure every endpoint of a scenario; written to the cell's calibration.json.
    With a database server's pid, its CPU per request is measured too (`db_cpu_ms`)."""
    stations = declared_stations(host)
    # Calls that hold the loop are never measured in flight: queued on a blocked loop they
    # would stall it for seconds, and gunicorn's timeout would kill the worker being measured.
    holds_loop = sorted(name for name, station in stations.items() if station == "loop")
    found = _measure(cell_dir, locustfile, host, server_pid, options, db_pid, holds_loop)
    measured, wake = found["endpoints"], found["wake_ms"]
    floor = measured[FAST]["cpu_ms_alone"] if FAST in measured else 0.0
    undeclared = sorted(set(measured) - set(stations))
    if undeclared:
        raise CalibrationError(
            f"no station declared for {', '.join(undeclared)} (add openapi_extra=declare(...) to its route)"
        )
    outside = outside_ms(measured)
    calibration = {
        name: EndpointCalibration(
            method=m["method"],
            station=stations[name],
            share=m["share"],
            round_trip_ms=m["round_trip_ms"],
            service_ms=round(max(m["round_trip_ms"] - outside, m["cpu_ms_alone"]), 4),
            cpu_ms_alone=m["cpu_ms_alone"],
            cpu_ms_busy=busy_ms(m, wake, floor),
            db_cpu_ms=m.get("db_cpu_ms", 0.0),
            db_cpu_ms_busy=m.get("db_cpu_ms_busy"),
        )
        for name, m in measured.items()
    }
    write_json(cell_dir / NAME, TypeAdapter(dict[str, EndpointCalibration]).dump_python(calibration))
    return calibration
