"""children: how every child is started (log, stdin, CPUs) and bounded in time, group and all."""

import os
import sys
import time

import psutil
import pytest

from asyncgap.engines import children
from tests.e2e.processes import running


def test_a_child_logs_its_output_reads_no_stdin_and_runs_on_the_given_cpus(tmp_path):
    cpu = min(os.sched_getaffinity(0))
    probe = "import os, sys; print(repr(sys.stdin.read()), sorted(os.sched_getaffinity(0))); sys.exit(3)"
    log = tmp_path / "logs" / "probe.log"

    code = children.run([sys.executable, "-c", probe], log_path=log, timeout=30, cpus={cpu})

    assert code == 3
    assert log.read_text() == f"'' [{cpu}]\n"


def test_a_child_past_its_time_limit_is_stopped_with_its_whole_group(tmp_path):
    log = tmp_path / "sleepers.log"
    process = children.spawn(["sh", "-c", "sleep 60 & wait"], log_path=log)
    group = [psutil.Process(process.pid)]
    try:
        deadline = time.monotonic() + 5
        while len(group) < 2 and time.monotonic() < deadline:  # the shell has started its sleep
            group = [psutil.Process(process.pid), *group[0].children()]
            time.sleep(0.01)
        assert len(group) == 2
        began = time.monotonic()
        with pytest.raises(children.Overrun, match=r"^still running after 0.5 s; stopped$"):
            children.watch(process, timeout=0.5)
        assert time.monotonic() - began < children.STOP_GRACE_S
        assert running(group) == []
    finally:
        for leftover in running(group):
            leftover.kill()
