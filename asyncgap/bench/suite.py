"""`asyncgap bench`: the pack measures itself, one module per measurement (asyncgap/bench/*.py).

Each figure is a ratio of two things measured side by side in the same run: absolute
figures drift on a shared machine, ratios much less. Twelve questions:

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
10. the compose engine: the quick profile in containers against the local engine, cell by cell;
11. transfer: each scenario calibrated once on uvicorn-1w, its predictions of every other setup
    and of a sweep's levels measured;
12. a client pool's cycle: the upstream `async` cell's CPU per request second by second, and what
    calibration windows of 1 s and 6 s could read of it.

Each module has `measure(lab)`, which starts its own fresh servers, pinned apart from the load,
and `markdown(result)`, which prints its figures beside its goal from bench.json alone.
"""

from pathlib import Path

from asyncgap.bench import (
    compose_engine,
    convergence,
    fidelity,
    generator_workers,
    headroom,
    instrumentation,
    model,
    pool_cycle,
    time_to_result,
    transfer,
    wake_cost,
    watchdog,
)
from asyncgap.bench.lab import Lab
from asyncgap.core.files import write_json
from asyncgap.core.matrix import Matrix
from asyncgap.engines import lifeline, pace, server

MEASUREMENTS = {
    "fidelity": fidelity,
    "headroom": headroom,
    "instrumentation": instrumentation,
    "time_to_result": time_to_result,
    "convergence": convergence,
    "model": model,
    "wake_cost": wake_cost,
    "watchdog": watchdog,
    "generator_workers": generator_workers,
    "compose_engine": compose_engine,
    "transfer": transfer,
    "pool_cycle": pool_cycle,
}
SECTIONS = tuple(MEASUREMENTS)


def run_all(matrix: Matrix, out: Path, only: tuple[str, ...] = SECTIONS) -> dict:
    """Run the chosen sections (all by default), each on servers of its own; the ones that run
    cells first, while the upstream they need is up."""
    out.mkdir(parents=True, exist_ok=True)
    chosen = [name for name in SECTIONS if name in only]
    with lifeline.scratch("asyncgap-bench-") as scratch:
        lab = Lab(matrix, out, scratch)
        report: dict = {
            "pinned": lab.cores.generator is not None,
            "cores": {
                "generator": sorted(lab.cores.generator or []),
                "server": sorted(lab.cores.server or []),
            },
        }
        cells = [name for name in chosen if MEASUREMENTS[name].NEEDS_UPSTREAM]
        if cells:
            log_path = out / "logs" / "upstream.log"
            port, cpus = matrix.upstream.port, lab.cores.generator
            with (
                server.serving("upstream", port=port, log_path=log_path, cpus=cpus) as upstream,
                pace.timing(scratch / "pace.log", lab.cores.server) as lab.pace_log,
            ):
                lab.upstream_url = upstream.url
                report |= {name: MEASUREMENTS[name].measure(lab) for name in cells}
                lab.upstream_url = lab.pace_log = None
        report |= {name: MEASUREMENTS[name].measure(lab) for name in chosen if name not in cells}
    write_json(out / "bench.json", report)
    return report


def markdown(report: dict) -> str:
    """The bench's figures as Markdown, with the goal beside each ratio."""
    pinning = (
        f"server on CPU {report['cores']['server']}, load generators on CPU {report['cores']['generator']}"
        if report["pinned"]
        else "NOT pinned: this machine has one CPU, so server and generator share it"
    )
    sections = [MEASUREMENTS[name].markdown(report[name]) for name in SECTIONS if name in report]
    return "\n\n".join([f"# asyncgap bench\n\n{pinning}.", *sections]) + "\n"
