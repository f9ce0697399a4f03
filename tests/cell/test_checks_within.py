"""A task's check and batch, one call at a time: five calls, or two of a task whose calls would
outlast calibration's bound on a step together, then more of a fast one for a stable CPU figure."""

from asyncgap.cell.calibration import CHECKS, CHECKS_WITHIN_S, CPU_BATCH_MAX, another_call


def calls_made(call_s: float) -> int:
    """The batch's calls after the check, each taking `call_s`."""
    calls = 0
    while another_call(calls, call_s, calls * call_s):
        calls += 1
    return calls


def test_a_fast_task_is_checked_five_times_then_batched_for_a_second():
    assert calls_made(0.1) == 10  # 1 s of 0.1 s calls
    assert calls_made(0.001) == CPU_BATCH_MAX
    assert calls_made(0.4) == CHECKS - 1  # its four calls after the check took over a second


def test_a_slow_task_makes_as_many_calls_as_fit_the_checks_bound():
    assert 1 + calls_made(20.0) == 2  # 40 s: a third would end at 60
    assert 1 + calls_made(10.0) == 4  # 40 s: a fifth would end at 50
    assert 1 + calls_made(9.0) == CHECKS  # 45 s
    assert (1 + calls_made(60.0)) * 60.0 > CHECKS_WITHIN_S  # never fewer than two
    assert calls_made(60.0) == 1
