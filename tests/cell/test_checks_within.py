"""A task's check and batch, one run at a time: five runs, or as many as fit 45 s after the check
(one at least, so that calibration's bound on a step holds a run of up to 45 s), then more of a
fast one for a stable CPU figure."""

from asyncgap.cell.calibration import CHECKS, CPU_BATCH_MAX, another_call


def runs_of(run_s: float) -> int:
    """The runs of a task that takes `run_s`: its check and its batch."""
    calls = 0
    while another_call(calls, calls * run_s):
        calls += 1
    return 1 + calls


def test_a_fast_task_is_checked_five_times_then_batched_for_a_second():
    assert runs_of(0.1) == 1 + 10  # its check, then 1 s of 0.1 s runs
    assert runs_of(0.001) == 1 + CPU_BATCH_MAX
    assert runs_of(0.4) == CHECKS  # its four runs after the check took over a second


def test_a_slow_task_runs_as_often_as_fits_45_s_after_its_check():
    assert runs_of(20.0) == 3  # 40 s after the check: a third would end at 60
    assert runs_of(10.0) == 5  # 40 s: a fifth would end at 50, and five is all
    assert runs_of(16.0) == 3  # 32 s: a third would end at 48
    assert runs_of(44.0) == 2  # a check and one run: 88 s, within the 90 s a step is allowed
    assert runs_of(60.0) == 2  # one run after the check, whatever it takes
