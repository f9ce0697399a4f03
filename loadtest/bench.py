"""`python -m loadtest bench`: the pack measures itself.

Each figure is a ratio of two things measured side by side in the same run: absolute
figures drift on a shared machine, ratios much less. Five questions:

1. fidelity: do 1- and 2-worker sleep cells match theory, by Locust and by wrk?
2. generator headroom: what does the pack's user cost per request against a bare
   FastHttpUser and wrk, and what does Locust --processes 2 add?
3. instrumentation cost: /fast throughput with metrics and the lag probe on vs off;
4. time to result: the quick profile's wall time, split into its phases;
5. convergence: how much load time --converge saves, and at what cost in fidelity;
6. the model: every cell of the `full` profile on 1 and 2 uvicorn workers, measured against
   its prediction made before the load, with the binding bound and any measured reason;
7. wake cost: the CPU alone calibration reads around waits of 0 to 100 ms;
8. watchdog cost: /fast throughput with the blocking watchdog on vs off;
9. generator workers: /fast driven by a Locust master and 2 workers against one Locust process;
10. the compose engine: the quick profile in containers against the local engine, cell by cell.
"""

import re
import shutil
import statistics
import sys
import time
from contextlib import AbstractContextManager
from pathlib import Path

import httpx

from core.matrix import Matrix, Scenario
from core.variants import VARIANTS
from loadtest import children, compare, compose, explain, lifeline, model, plan, results, run, server, swarm
from loadtest.files import write_json
from loadtest.plan import Cell
from loadtest.records import SUMMARY_NAME, CellResult, load_summary
from loadtest.sampler import CpuMeter, idle_cpu_rate, tree_cpu_s

SLEEP_USERS, SLEEP_MS = 100, 100
FIDELITY_S, FIDELITY_WARMUP_S = 10.0, 2.0
PROBE_S, PROBE_USERS = 6.0, 20
HEADROOM_ROUNDS = 3
OVERHEAD_ROUNDS, OVERHEAD_S = 5, 4.0
MODEL_SETUPS = ("uvicorn-1w", "uvicorn-2w")
WAKE_WAITS_MS = (0, 1, 10, 100)
GENERATOR_WORKERS, GENERATOR_WORKERS_ROUNDS = 2, 2
CONVERGE_PCT, CONVERGE_CAP_S = 2.0, 20.0  # the goal's +-2%; the full profile's cell duration
WRK_MARGIN_S = 10.0  # wrk ends at its -d; past this margin it hangs and is killed
QUICK_RUN_TIMEOUT_S = 300.0  # the quick profile's goal is 90 s
BARE = Scenario(
    description="bare FastHttpUser", locustfile="loadtest/bench_locustfiles/bare_fast.py", users=20
)


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a and b else None


def _median_round(generator: str, rounds: list[dict]) -> dict:
    """The round with the median requests per CPU-second, and every round's figure beside it."""
    middle = sorted(rounds, key=lambda r: r["requests_per_cpu_s"] or 0)[len(rounds) // 2]
    return {**middle, "generator": generator, "rounds": [r["requests_per_cpu_s"] for r in rounds]}


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


class Bench:
    """The four measurements; each starts its own fresh servers, pinned apart from the load."""

    def __init__(self, matrix: Matrix, out: Path, scratch: Path) -> None:
        self.matrix, self.out, self.scratch = matrix, out, scratch
        self.cores = run.Cores.split()

    def serve(self, setup: str, label: str, env: dict | None = None) -> AbstractContextManager:
        metrics = self.scratch / f"metrics-{label}"
        metrics.mkdir()
        env = {"ASYNCGAP_DATABASE_URL": f"sqlite:///{self.scratch / 'bench.db'}",
               "PROMETHEUS_MULTIPROC_DIR": str(metrics), **(env or {})}  # fmt: skip
        port = self.matrix.setups[setup].port
        return server.serving(
            setup, port=port, log_path=self.out / "logs" / f"{label}.log", cpus=self.cores.server, env=env
        )

    def fidelity(self, upstream_url: str) -> list[dict]:
        rows = []
        for setup in ("uvicorn-1w", "uvicorn-2w"):
            for variant in VARIANTS:
                cell = Cell(setup, "sleep", variant, SLEEP_USERS, FIDELITY_S, FIDELITY_WARMUP_S)
                got = run.run_cell(cell, self.matrix, out_dir=self.out / "fidelity", scratch=self.scratch,
                                   upstream_url=upstream_url, cores=self.cores)  # fmt: skip
                if not got.ok:
                    rows.append({"setup": setup, "variant": variant, "generator": "locust",
                                 "error": got.reason})  # fmt: skip
                    continue
                little_ms = 1000 * SLEEP_USERS / got.predicted_rps  # Little's law: R = N / X
                rows.append({
                    "setup": setup, "variant": variant, "generator": "locust", "rps": round(got.rps, 1),
                    "predicted_rps": got.predicted_rps, "rps_ratio": got.measured_over_predicted,
                    "split": got.connections_per_worker, "mean_ms": got.mean_ms,
                    "predicted_mean_ms": round(little_ms, 1),
                })  # fmt: skip
                if setup == "uvicorn-1w" and shutil.which("wrk"):
                    rows.append(self._wrk_fidelity(setup, variant, got))
        return rows

    def _wrk_fidelity(self, setup: str, variant: str, locust_cell: CellResult) -> dict:
        """The same setup and slow endpoint under wrk: every request slow, no /fast mix. The
        prediction reuses the Locust cell's calibration of that endpoint, as its only one."""
        name = f"/{variant}/sleep"
        inputs = locust_cell.model.inputs
        alone = {name: inputs.endpoints[name].model_copy(update={"share": 1.0})}
        server_model = model.Server(inputs.workers, inputs.thread_tokens, inputs.pool_processes, inputs.cores)
        predicted = model.predict(alone, SLEEP_USERS, server_model).predicted_rps
        with self.serve(setup, f"wrk-{variant}") as srv:
            got = wrk(srv, f"{name}?ms={SLEEP_MS}", connections=SLEEP_USERS, duration_s=FIDELITY_S,
                      cpus=self.cores.generator)  # fmt: skip
        return {"setup": setup, "variant": variant, "generator": "wrk", "rps": got["rps"],
                "predicted_rps": round(predicted, 2), "rps_ratio": ratio(got["rps"], predicted),
                "p50_ms": got["p50_ms"],
                "predicted_mean_ms": round(1000 * SLEEP_USERS / predicted, 1)}  # fmt: skip

    def _locust_on_fast(self, scenario: Scenario, label: str, processes: int = 1, workers: int = 1) -> dict:
        """Locust on /fast: its rps and the cores it burned (all its processes, read by psutil)."""
        out_dir = self.out / "headroom" / label
        with self.serve("uvicorn-1w", f"headroom-{label}") as srv:
            spec = swarm.SwarmSpec(scenario=scenario, variant="async", host=srv.url, users=PROBE_USERS,
                                   duration_s=PROBE_S, warmup_s=1.0, out_dir=out_dir,
                                   processes=processes)  # fmt: skip

            def sampler(*pids: int):
                meter = CpuMeter(*pids)
                return lambda: {"t": time.monotonic(), "generator_cpu_s": meter.read()}

            samples = swarm.run(spec, cpus=self.cores.generator if processes == 1 else None, on_start=sampler,
                                workers=workers)  # fmt: skip
        t0 = samples[0]["t"]
        cores = results.steady_rate([{**s, "t": s["t"] - t0} for s in samples], "generator_cpu_s", 2.0)
        rps = results.read_stats(out_dir)["Aggregated"]["rps"]
        return {"generator": label, "rps": round(rps, 1), "cores": round(cores, 3),
                "requests_per_cpu_s": round(rps / cores) if cores else None}  # fmt: skip

    def headroom(self) -> list[dict]:
        """The pack's user and a bare one in alternating rounds, so drift hits both alike."""
        fast = self.matrix.scenarios["fast"]
        rounds: dict[str, list[dict]] = {"asyncgap-user": [], "bare-fasthttpuser": []}
        for round_ in range(HEADROOM_ROUNDS):
            for label, scenario in (("asyncgap-user", fast), ("bare-fasthttpuser", BARE)):
                rounds[label].append(self._locust_on_fast(scenario, f"{label}-{round_ + 1}"))
        ours, bare = (_median_round(label, got) for label, got in rounds.items())
        two = self._locust_on_fast(fast, "asyncgap-user-2-processes", processes=2)
        ours["cost_vs_bare"] = ratio(bare["requests_per_cpu_s"], ours["requests_per_cpu_s"])
        two["rps_vs_1_process"] = ratio(two["rps"], ours["rps"])
        rows = [ours, bare, two]
        if shutil.which("wrk"):
            with self.serve("uvicorn-1w", "headroom-wrk") as srv:
                got = wrk(
                    srv, "/fast", connections=PROBE_USERS, duration_s=PROBE_S, cpus=self.cores.generator
                )
            cores = got["cpu_s"] / PROBE_S
            rows.append({"generator": "wrk", "rps": got["rps"], "cores": round(cores, 3),
                         "requests_per_cpu_s": round(got["rps"] / cores) if cores else None})  # fmt: skip
        return rows

    def generator_workers(self) -> list[dict]:
        """/fast driven by one Locust process, then by a master and GENERATOR_WORKERS workers
        (--generator-workers), on the same load CPUs, in alternating rounds."""
        fast = self.matrix.scenarios["fast"]
        rounds: dict[int, list[dict]] = {1: [], GENERATOR_WORKERS: []}
        for round_ in range(GENERATOR_WORKERS_ROUNDS):
            for workers in rounds:
                label = f"generator-workers-{workers}-{round_ + 1}"
                rounds[workers].append(self._locust_on_fast(fast, label, workers=workers))
        rows = [{**_median_round(f"{n} worker(s)" if n > 1 else "1 process", got), "generator_workers": n}
                for n, got in rounds.items()]  # fmt: skip
        rows[1]["rps_vs_1_process"] = ratio(rows[1]["rps"], rows[0]["rps"])
        return rows

    def compose_engine(self) -> dict:
        """`loadtest run --quick` on each engine as a user runs it, timed from outside (the image is
        built, or found built, inside the compose run), then compared cell by cell."""
        if reason := compose.why_no_engine():
            return {"skipped": reason}
        walls, outs = {}, {}
        for engine in ("local", "compose"):
            outs[engine] = self.out / f"quick-{engine}"
            argv = [sys.executable, "-m", "loadtest", "run", "--quick", "--engine", engine,
                    "--out", str(outs[engine])]  # fmt: skip
            log_path = self.out / "logs" / f"quick-{engine}.log"
            started = time.monotonic()
            try:
                code = children.run(argv, log_path=log_path, timeout=QUICK_RUN_TIMEOUT_S)
            except children.Overrun as exc:
                code = f"killed ({exc})"
            walls[engine] = {"exit": code, "wall_s": round(time.monotonic() - started, 1)}
        if not all((out / SUMMARY_NAME).exists() for out in outs.values()):
            return {"runs": walls, "rows": []}
        rows = [{**row, "compose_over_local": ratio(row.get("rps_b"), row.get("rps_a"))}
                for row in compare.compare(outs["local"], outs["compose"])]  # fmt: skip
        return {"runs": walls, "rows": rows}

    def wake_cost(self) -> list[dict]:
        """CPU per request alone, as calibration measures it, around waits of growing length: what
        a server spends waking from idle inside each call, which a loaded server never pays."""
        rows = []
        with self.serve("uvicorn-1w", "wake-cost") as srv, httpx.Client(base_url=srv.url) as client:
            idle = idle_cpu_rate(srv.process.pid)
            for wait_ms in WAKE_WAITS_MS:
                path = f"/async/sleep?ms={wait_ms}"
                client.get(path).raise_for_status()  # warm
                calls = max(10, min(200, 1000 // max(wait_ms, 1)))
                before, started = tree_cpu_s(srv.process.pid), time.monotonic()
                for _ in range(calls):
                    client.get(path).raise_for_status()
                wall = time.monotonic() - started
                used = tree_cpu_s(srv.process.pid) - before - idle * wall
                rows.append({"wait_ms": wait_ms, "calls": calls, "wall_s": round(wall, 2),
                             "cpu_ms_per_request": round(1000 * used / calls, 3)})  # fmt: skip
        return rows

    def instrumentation(self) -> dict:
        """/fast under wrk with instrumentation on and off, alternated so drift hits both alike.

        Two ratios: throughput (what the goal names, but it swings by 10-20% between identical
        runs on a shared machine) and the server's CPU per request, which is steadier.
        """
        return self._fast_on_off("ASYNCGAP_INSTRUMENT", "instrument")

    def watchdog(self) -> dict:
        """/fast under wrk with the watchdog (service/watchdog.py) on and off, metrics and probe on."""
        return self._fast_on_off("ASYNCGAP_WATCHDOG", "watchdog")

    def _fast_on_off(self, variable: str, label: str) -> dict:
        """/fast rps and server CPU per request with a setting true and false, in alternating rounds,
        and the idle server's CPU (what calibration subtracts) before each round's load."""
        if not shutil.which("wrk"):
            return {"skipped": "wrk is not installed (make bench installs it)"}
        rps: dict[str, list[float]] = {"on": [], "off": []}
        cpu_us: dict[str, list[float]] = {"on": [], "off": []}
        idle_ms: dict[str, list[float]] = {"on": [], "off": []}
        for round_ in range(OVERHEAD_ROUNDS):
            for state in ("on", "off"):
                env = {variable: str(state == "on").lower()}
                with self.serve("uvicorn-1w", f"{label}-{state}-{round_}", env) as srv:
                    idle_ms[state].append(round(1000 * idle_cpu_rate(srv.process.pid), 2))
                    meter = CpuMeter(srv.process.pid)
                    before = meter.read()
                    got = wrk(srv, "/fast", connections=PROBE_USERS, duration_s=OVERHEAD_S,
                              cpus=self.cores.generator)  # fmt: skip
                    used = meter.read() - before
                rps[state].append(got["rps"])
                cpu_us[state].append(round(1e6 * used / (got["rps"] * OVERHEAD_S), 1))
        median = {k: statistics.median(v) for k, v in rps.items()}
        cpu = {k: statistics.median(v) for k, v in cpu_us.items()}
        return {"rps_on": rps["on"], "rps_off": rps["off"],
                "ratio_on_over_off": ratio(median["on"], median["off"]),
                "cpu_us_per_request_on": cpu_us["on"], "cpu_us_per_request_off": cpu_us["off"],
                "capacity_ratio_on_over_off": ratio(cpu["off"], cpu["on"]),
                "idle_cpu_ms_per_s_on": idle_ms["on"], "idle_cpu_ms_per_s_off": idle_ms["off"]}  # fmt: skip

    def convergence(self, upstream_url: str) -> list[dict]:
        """Each 1-worker sleep cell for a fixed CONVERGE_CAP_S, then with --converge capped there."""
        rows = []
        for variant in VARIANTS:
            got = {}
            for label, pct in (("fixed", None), ("converge", CONVERGE_PCT)):
                cell = Cell("uvicorn-1w", "sleep", variant, SLEEP_USERS, CONVERGE_CAP_S, FIDELITY_WARMUP_S,
                            converge_pct=pct)  # fmt: skip
                got[label] = run.run_cell(cell, self.matrix, out_dir=self.out / "convergence" / label,
                                          scratch=self.scratch, upstream_url=upstream_url,
                                          cores=self.cores)  # fmt: skip
            fixed, early = got["fixed"], got["converge"]
            if not (fixed.ok and early.ok):
                rows.append({"variant": variant, "error": fixed.reason or early.reason})
                continue
            fixed_s, early_s = fixed.timings["load_s"], early.timings["load_s"]
            rows.append({
                "variant": variant, "fixed_load_s": fixed_s, "converge_load_s": early_s,
                "time_saved": round(1 - early_s / fixed_s, 3),
                "fixed_ci_pct": fixed.rps_ci95_pct, "converge_ci_pct": early.rps_ci95_pct,
                "stopped_early": "converged: rps known" in (
                    self.out / "convergence" / "converge" / early.folder / "locust.log"
                ).read_text(),  # the rule's own word, logged by locustfiles/convergence.py
                "fixed_ratio": fixed.measured_over_predicted,
                "converge_ratio": early.measured_over_predicted,
                "rps_converge_over_fixed": ratio(early.rps, fixed.rps),
            })  # fmt: skip
        return rows

    def time_to_result(self) -> dict:
        """`loadtest run --quick` as a user runs it, timed from outside, phases from its cells."""
        out = self.out / "quick-run"
        started = time.monotonic()
        argv = [sys.executable, "-m", "loadtest", "run", "--quick", "--out", str(out)]
        try:
            code = children.run(
                argv, log_path=self.out / "logs" / "quick-run.log", timeout=QUICK_RUN_TIMEOUT_S
            )
        except children.Overrun as exc:
            code = f"killed ({exc})"
        wall = time.monotonic() - started
        cells = load_summary(out).cells if (out / SUMMARY_NAME).exists() else []
        phases: dict[str, float] = {}
        for cell in cells:
            for phase, seconds in cell.timings.items():
                phases[phase] = round(phases.get(phase, 0.0) + seconds, 1)
        return {"exit": code, "wall_s": round(wall, 1), "cells": len(cells), "phases_s": phases,
                "rest_s": round(wall - sum(phases.values()), 1)}  # fmt: skip


    def model(self) -> list[dict]:
        """The full profile on MODEL_SETUPS, one cell after another as `loadtest run` does them."""
        cells = plan.resolve(self.matrix, "full", setups=list(MODEL_SETUPS))
        done = run.run(cells, self.matrix, self.out / "model")
        return [
            {"setup": c.setup, "scenario": c.scenario, "variant": c.variant, "rps": c.rps,
             "predicted_rps": c.predicted_rps, "bound": c.model and c.model.bound,
             "ratio": c.measured_over_predicted, "reason": (c.model and c.model.reason) or c.reason or ""}
            for c in done
        ]  # fmt: skip


SECTIONS = ("fidelity", "headroom", "instrumentation", "time_to_result", "convergence", "model", "wake_cost",
            "watchdog", "generator_workers", "compose_engine")  # fmt: skip
NEED_UPSTREAM = ("fidelity", "convergence")


def run_all(matrix: Matrix, out: Path, only: tuple[str, ...] = SECTIONS) -> dict:
    """Run the chosen sections (all by default), each on servers of its own."""
    out.mkdir(parents=True, exist_ok=True)
    with lifeline.scratch("asyncgap-bench-") as scratch:
        bench = Bench(matrix, out, scratch)
        pinned = bench.cores.generator is not None
        report: dict = {"pinned": pinned, "cores": {"generator": sorted(bench.cores.generator or []),
                                                    "server": sorted(bench.cores.server or [])}}  # fmt: skip
        if set(NEED_UPSTREAM) & set(only):
            with server.serving("upstream", port=matrix.upstream.port, log_path=out / "logs" / "upstream.log",
                                cpus=bench.cores.generator) as upstream:  # fmt: skip
                for name in NEED_UPSTREAM:
                    if name in only:
                        report[name] = getattr(bench, name)(upstream.url)
        for name in (name for name in SECTIONS if name not in NEED_UPSTREAM):  # each starts its own servers
            if name in only:
                report[name] = getattr(bench, name)()
    write_json(out / "bench.json", report)
    return report


def _md_table(rows: list[dict], columns: list[str]) -> str:
    def cell(value) -> str:
        if isinstance(value, float):
            return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
        return "" if value is None else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


FIDELITY_COLUMNS = ["setup", "variant", "generator", "rps", "predicted_rps", "rps_ratio", "split", "mean_ms",
                    "p50_ms", "predicted_mean_ms", "error"]  # fmt: skip
CONVERGENCE_COLUMNS = ["variant", "fixed_load_s", "converge_load_s", "time_saved", "fixed_ci_pct",
                       "converge_ci_pct", "stopped_early", "fixed_ratio", "converge_ratio",
                       "rps_converge_over_fixed", "error"]  # fmt: skip
WAKE_COLUMNS = ["wait_ms", "calls", "cpu_ms_per_request", "wall_s"]
MODEL_COLUMNS = ["setup", "scenario", "variant", "rps", "predicted_rps", "bound", "ratio", "reason"]
HEADROOM_COLUMNS = ["generator", "rps", "cores", "requests_per_cpu_s", "rounds", "cost_vs_bare",
                    "rps_vs_1_process"]  # fmt: skip


def markdown(report: dict) -> str:
    """The bench's figures as Markdown, with the goal beside each ratio."""
    pinning = (
        f"server on CPU {report['cores']['server']}, load generators on CPU {report['cores']['generator']}"
        if report["pinned"]
        else "NOT pinned: this machine has one CPU, so server and generator share it"
    )
    sections = [_MARKDOWN[name](report[name]) for name in SECTIONS if name in report]
    return "\n\n".join([f"# asyncgap bench\n\n{pinning}.", *sections]) + "\n"


def _fidelity_md(rows: list[dict]) -> str:
    return "\n\n".join([
        "## 1. Fidelity (goal: rps_ratio within 1 +- 0.03 for 1 worker, +- 0.10 for 2 workers)",
        _md_table(rows, FIDELITY_COLUMNS),
        "predicted_mean_ms is Little's law, R = N / X: a steady-state mean. A cell shorter than a few "
        "cycles of N / X (async-blocking: about 10 s) cannot show it, since requests still queued when "
        "the load stops are never counted; wrk's p50 is not a mean either.",
    ])  # fmt: skip


def _headroom_md(rows: list[dict]) -> str:
    return "\n\n".join([
        "## 2. Generator headroom on /fast (goal: cost_vs_bare <= 1.05)",
        _md_table(rows, HEADROOM_COLUMNS),
        f"The pack's user and the bare one ran {HEADROOM_ROUNDS} alternating rounds each; a row shows its "
        "median round, `rounds` every round's requests per CPU-second.",
    ])  # fmt: skip


def _instrumentation_md(instr: dict) -> str:
    return "## 3. Instrumentation cost (goal: ratio_on_over_off >= 0.95)\n\n" + (
        instr.get("skipped")
        or f"/fast rps with metrics and lag probe on {instr['rps_on']}, off {instr['rps_off']}: "
        f"median ratio **{instr['ratio_on_over_off']}**. Server CPU per request (us) on "
        f"{instr['cpu_us_per_request_on']}, off {instr['cpu_us_per_request_off']}: capacity ratio "
        f"(off/on CPU per request) **{instr['capacity_ratio_on_over_off']}**."
    )


def _time_to_result_md(ttr: dict) -> str:
    return (
        "## 4. Time to result (goal: quick profile <= 90 s)\n\n"
        f"`loadtest run --quick`: exit {ttr['exit']}, **{ttr['wall_s']} s** wall for {ttr['cells']} cells; "
        f"phases summed over cells: {ttr['phases_s']}; the rest (Python and Locust start-up, upstream, "
        f"report): {ttr['rest_s']} s."
    )


def _convergence_md(rows: list[dict]) -> str:
    return "\n\n".join([
        f"## 5. Convergence (goal: rps within +-{CONVERGE_PCT:g}% at 95%, sooner than a fixed "
        f"{CONVERGE_CAP_S:g} s, with fixed_ratio and converge_ratio alike)",
        _md_table(rows, CONVERGENCE_COLUMNS),
        "load_s includes warm-up and spawning; ci_pct is the half-width of the rps's 95% interval from "
        "the steady seconds; ratio is measured/predicted rps; stopped_early: the rule ended the load "
        "(locust.log says so). A cell that never settles within the target runs to its cap.",
    ])  # fmt: skip


def _model_md(rows: list[dict]) -> str:
    ratios = [r["ratio"] for r in rows if r["ratio"]]
    within = sum(1 for q in ratios if abs(q - 1) <= explain.TOLERANCE)
    explained = sum(1 for r in rows if r["ratio"] and abs(r["ratio"] - 1) > explain.TOLERANCE and r["reason"])
    sleep = [r["ratio"] for r in rows if r["scenario"] == "sleep" and r["ratio"]]
    worst_sleep = max(sleep, key=lambda q: abs(q - 1)) if sleep else None
    return "\n\n".join([
        f"## 6. The model over the `full` profile on {', '.join(MODEL_SETUPS)} (goal: every cell within "
        f"+-{explain.TOLERANCE:.0%} of its prediction or carrying a measured reason; sleep within +-3%)",
        f"{within} of {len(rows)} cells within +-{explain.TOLERANCE:.0%}; {explained} outside it, each with "
        f"its measured reason; {len(rows) - len(ratios)} failed. Worst sleep cell: {worst_sleep}.",
        _md_table(rows, MODEL_COLUMNS),
        "Each prediction was written to the cell's prediction.json before its load, from the cell's "
        "calibration on the idle server; only the kernel's connection split was taken from the load.",
    ])  # fmt: skip


def _wake_cost_md(rows: list[dict]) -> str:
    return "\n\n".join([
        "## 7. CPU alone around a wait (why `cpu_ms_alone` is high for endpoints that wait)",
        _md_table(rows, WAKE_COLUMNS),
        "One request at a time to `/async/sleep?ms=WAIT` on one idle uvicorn worker, the server's CPU "
        "per request as calibration reads it (the idle server's own CPU subtracted). The asyncio.sleep "
        "itself costs microseconds; the rest is the server waking from idle, which a loaded server never "
        "does.",
    ])  # fmt: skip


def _watchdog_md(dog: dict) -> str:
    return "## 8. Watchdog cost (goal: ratio_on_over_off >= 0.97)\n\n" + (
        dog.get("skipped")
        or f"/fast rps with the watchdog on {dog['rps_on']}, off {dog['rps_off']} (metrics and lag probe on "
        f"in both): median ratio **{dog['ratio_on_over_off']}**. Server CPU per request (us) on "
        f"{dog['cpu_us_per_request_on']}, off {dog['cpu_us_per_request_off']}: capacity ratio "
        f"(off/on CPU per request) **{dog['capacity_ratio_on_over_off']}**. The idle server's CPU (ms a "
        f"second) on {dog.get('idle_cpu_ms_per_s_on')}, off {dog.get('idle_cpu_ms_per_s_off')}."
    )


def _generator_workers_md(rows: list[dict]) -> str:
    return "\n\n".join([
        f"## 9. Locust's distributed mode on /fast (--generator-workers {GENERATOR_WORKERS} vs one process)",
        _md_table(rows, HEADROOM_COLUMNS),
        f"Both on the same load CPUs ({GENERATOR_WORKERS_ROUNDS} alternating rounds, the median shown): with "
        "one load core, workers share it and the ratio shows the master's cost; with a core per worker "
        "(more CPUs than this machine's two) it shows the gain.",
    ])  # fmt: skip


COMPOSE_COLUMNS = ["setup", "variant", "rps_a", "rps_b", "compose_over_local", "ci_low", "ci_high", "verdict"]


def _compose_engine_md(result: dict) -> str:
    if "skipped" in result:
        return f"## 10. The compose engine\n\nskipped: {result['skipped']}"
    runs = result["runs"]
    return "\n\n".join([
        "## 10. The compose engine against the local one (goal: compose_over_local within 1 +- 0.05 for "
        "I/O-bound cells)",
        f"`loadtest run --quick`: local exit {runs['local']['exit']}, **{runs['local']['wall_s']} s**; "
        f"`--engine compose` exit {runs['compose']['exit']}, **{runs['compose']['wall_s']} s** (image build "
        "from cache included).",
        _md_table(result["rows"], COMPOSE_COLUMNS),
        "rps_a is local, rps_b compose; the interval and verdict are `loadtest compare`'s.",
    ])  # fmt: skip


_MARKDOWN = {
    "fidelity": _fidelity_md,
    "headroom": _headroom_md,
    "instrumentation": _instrumentation_md,
    "time_to_result": _time_to_result_md,
    "convergence": _convergence_md,
    "model": _model_md,
    "wake_cost": _wake_cost_md,
    "watchdog": _watchdog_md,
    "generator_workers": _generator_workers_md,
    "compose_engine": _compose_engine_md,
}
