"""Locust's command lines: bounded in time, web UI on loopback, the guard lifted only on request."""

from pathlib import Path

from asyncgap.core import matrix
from asyncgap.core.levels import START_LIMIT_S
from asyncgap.engines import swarm


def test_a_headless_swarm_is_bounded_and_writes_locusts_own_reports(tmp_path: Path):
    spec = swarm.SwarmSpec(
        scenario=matrix.load().scenarios["sleep"],
        variant="sync",
        host="http://127.0.0.1:8101",
        users=100,
        duration_s=8,
        warmup_s=2,
        out_dir=tmp_path,
    )
    argv = spec.argv()
    assert argv[argv.index("--hold-s") + 1] == "8"  # its users' starts not counted
    assert argv[argv.index("--run-time") + 1] == f"{8 + START_LIMIT_S:g}s"  # ... up to a limit
    assert argv[argv.index("--stop-timeout") + 1] == "0"
    assert {"--headless", "--csv", "--html", "--json-file"} <= set(argv)
    assert argv[argv.index("--variant") + 1] == "sync"
    assert argv[argv.index("--work-ms") + 1] == "100"
    assert "--allow-remote-target" not in argv


def test_a_sweep_runs_the_step_shape_over_its_levels_not_a_fixed_count_of_users(tmp_path: Path):
    spec = swarm.SwarmSpec(
        scenario=matrix.load().scenarios["sleep"],
        variant="async",
        host="http://127.0.0.1:8101",
        users=40,
        duration_s=12,
        warmup_s=1,
        out_dir=tmp_path,
        levels=(1, 10, 40),
    )
    argv = spec.argv()
    assert argv[argv.index("-f") + 1] == f"locustfiles/sleep_mix.py,{swarm.SHAPES}"
    assert argv[argv.index("--levels") + 1] == "1,10,40"
    assert argv[argv.index("--level-s") + 1] == "4"  # each level an equal share of the duration
    assert argv[argv.index("--warmup") + 1] == "1"  # discarded at each level
    assert not {"--users", "--spawn-rate", "--run-time"} & set(argv)  # the shape sets and ends them


def test_the_web_ui_binds_loopback_and_keeps_the_guard_unless_asked():
    argv = swarm.web_ui_argv(["locustfiles/sleep_mix.py"], "http://127.0.0.1:8101", 8089)
    assert argv[argv.index("--web-host") + 1] == "127.0.0.1"
    assert "--allow-remote-target" not in argv
    lifted = swarm.web_ui_argv(
        ["locustfiles/sleep_mix.py"], "http://127.0.0.1:8101", 8089, allow_remote_target=True
    )
    assert "--allow-remote-target" in lifted


def test_a_distributed_swarm_is_the_same_swarm_run_by_a_master_that_waits_for_its_workers(tmp_path: Path):
    spec = swarm.SwarmSpec(
        scenario=matrix.load().scenarios["sleep"],
        variant="sync",
        host="http://127.0.0.1:8101",
        users=100,
        duration_s=8,
        warmup_s=2,
        out_dir=tmp_path,
    )
    master = spec.master_argv(3, "127.0.0.1", 5557)
    assert master[: len(spec.argv())] == spec.argv()  # same options, same reports: the master writes them
    assert master[master.index("--expect-workers") + 1] == "3"
    assert master[master.index("--master-bind-host") + 1] == "127.0.0.1"
    worker = spec.worker_argv("127.0.0.1", 5557)
    assert "--worker" in worker and "--headless" not in worker
    assert worker[worker.index("-f") + 1] == "locustfiles/sleep_mix.py"
    assert worker[worker.index("--master-port") + 1] == "5557"
