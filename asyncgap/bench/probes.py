"""The probes several measurements share: wrk on one URL, Locust on /fast with its CPU read from
outside, and /fast with a server setting on and off in alternating rounds."""

import re
import shutil
import statistics
import time

from asyncgap.bench.lab import PROBE_S, PROBE_USERS, Lab, ratio
from asyncgap.cell import measure, stats
from asyncgap.cell.sampler import CpuMeter, idle_cpu_rate
from asyncgap.core.matrix import Scenario
from asyncgap.engines import children, server, swarm

WRK_MARGIN_S = 10.0  # wrk ends at its -d; past this margin it hangs and is killed
OVERHEAD_ROUNDS, OVERHEAD_S = 5, 4.0
NO_WRK = {"skipped": "wrk is not installed (make bench installs it)"}


def wrk(
    srv: server.RunningServer, path: str, *, connections: int, duration_s: float, cpus: set[int] | None
) -> dict:
    """One wrk run (one thread) on a started server's `path`, its output beside the server's log:
    rps, p50 and the CPU seconds wrk used (read by psutil)."""
    url, log_path = f"{srv.url}{path}", srv.log_path.with_suffix(".wrk.log")
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{duration_s:g}s", "--timeout", "30s", "--latency", url]
    process = children.spawn(argv, log_path=log_path, cpus=cpus)
    meter = CpuMeter(process.pid)
    try:
        used = children.watch(process, timeout=duration_s + WRK_MARGIN_S, sample=meter.read, every_s=0.25)
    except children.Overrun as exc:
        raise server.ServerError(f"wrk {exc}") from None
    out = log_path.read_text()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    if process.returncode != 0 or not rps or not p50:
        raise server.ServerError(f"wrk failed ({process.returncode}): {out[-300:]}")
    to_ms = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p50.group(2)]
    return {"rps": float(rps.group(1)), "p50_ms": round(float(p50.group(1)) * to_ms, 2), "cpu_s": used[-1]}


def locust_on_fast(lab: Lab, scenario: Scenario, label: str, *, processes: int = 1, workers: int = 1) -> dict:
    """Locust on /fast: its rps and the cores it burned (all its processes, read by psutil)."""
    out_dir = lab.out / "headroom" / label
    with lab.serve("uvicorn-1w", f"headroom-{label}") as srv:
        spec = swarm.SwarmSpec(
            scenario=scenario,
            variant="async",
            host=srv.url,
            users=PROBE_USERS,
            duration_s=PROBE_S,
            warmup_s=1.0,
            out_dir=out_dir,
            processes=processes,
        )

        def sampler(*pids: int):
            meter = CpuMeter(*pids)
            return lambda: {"t": time.monotonic(), "generator_cpu_s": meter.read()}

        cpus = lab.cores.generator if processes == 1 else None
        samples = swarm.run(spec, cpus=cpus, on_start=sampler, workers=workers)
    t0 = samples[0]["t"]
    cores = measure.steady_rate([{**s, "t": s["t"] - t0} for s in samples], "generator_cpu_s", 2.0)
    rps = stats.read_stats(out_dir)[stats.AGGREGATED].rps
    return {
        "generator": label,
        "rps": round(rps, 1),
        "cores": round(cores, 3),
        "requests_per_cpu_s": round(rps / cores) if cores else None,
    }


def fast_on_off(lab: Lab, variable: str, label: str) -> dict:
    """/fast rps and server CPU per request with a setting true and false, in alternating rounds,
    and the idle server's CPU (what calibration subtracts) before each round's load."""
    if not shutil.which("wrk"):
        return NO_WRK
    rps: dict[str, list[float]] = {"on": [], "off": []}
    cpu_us: dict[str, list[float]] = {"on": [], "off": []}
    idle_ms: dict[str, list[float]] = {"on": [], "off": []}
    for round_ in range(OVERHEAD_ROUNDS):
        for state in ("on", "off"):
            env = {variable: str(state == "on").lower()}
            with lab.serve("uvicorn-1w", f"{label}-{state}-{round_}", env) as srv:
                idle_ms[state].append(round(1000 * idle_cpu_rate(srv.process.pid), 2))
                meter = CpuMeter(srv.process.pid)
                before = meter.read()
                got = wrk(
                    srv, "/fast", connections=PROBE_USERS, duration_s=OVERHEAD_S, cpus=lab.cores.generator
                )
                used = meter.read() - before
            rps[state].append(got["rps"])
            cpu_us[state].append(round(1e6 * used / (got["rps"] * OVERHEAD_S), 1))
    median = {k: statistics.median(v) for k, v in rps.items()}
    cpu = {k: statistics.median(v) for k, v in cpu_us.items()}
    return {
        "rps_on": rps["on"],
        "rps_off": rps["off"],
        "ratio_on_over_off": ratio(median["on"], median["off"]),
        "cpu_us_per_request_on": cpu_us["on"],
        "cpu_us_per_request_off": cpu_us["off"],
        "capacity_ratio_on_over_off": ratio(cpu["off"], cpu["on"]),
        "idle_cpu_ms_per_s_on": idle_ms["on"],
        "idle_cpu_ms_per_s_off": idle_ms["off"],
    }
