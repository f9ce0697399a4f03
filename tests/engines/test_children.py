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


STEP = "    open(sys.argv[1], 'a').write(f'{step}\\n')\n    time.sleep(0.4)"  # a step: say it, do it


def test_a_child_that_says_each_step_is_bounded_from_its_last_step_not_its_start(tmp_path):
    steps = tmp_path / "steps"
    four = [sys.executable, "-c", f"import sys, time\nfor step in range(4):\n{STEP}", str(steps)]
    began = time.monotonic()
    # four steps of 0.4 s: over the 1 s limit in all, each well within it from the step before
    assert children.run(four, log_path=tmp_path / "log", timeout=1.0, progress_path=steps) == 0
    assert time.monotonic() - began > 1.0
    assert steps.read_text() == "0\n1\n2\n3\n"


def test_a_child_stuck_in_a_step_is_stopped_at_the_limit_whatever_it_prints(tmp_path):
    # its output keeps growing, its steps file does not: only a step counts as progress
    chatty = "import time\nwhile True:\n    print('still here', flush=True)\n    time.sleep(0.1)"
    began = time.monotonic()
    with pytest.raises(children.Overrun, match=r"^still running after 0.5 s without progress; stopped$"):
        children.run(
            [sys.executable, "-c", chatty],
            log_path=tmp_path / "log",
            timeout=0.5,
            progress_path=tmp_path / "no",
        )
    assert time.monotonic() - began < children.STOP_GRACE_S
    assert "still here" in (tmp_path / "log").read_text()
