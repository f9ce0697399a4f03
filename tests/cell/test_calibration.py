"""Calibration's derived inputs: the time at a station, and CPU per request from a process tree's counters."""

import json
from types import SimpleNamespace

import pytest

from asyncgap.cell.calibration import (
    BURST_S,
    DRAIN_S,
    HOT_USERS,
    IN_FLIGHT,
    STEPS_NAME,
    CalibrationError,
    StepRun,
    another_server,
    burst_users,
    burst_window_s,
    calibrate,
    calibrated_user_cycle_s,
    class_cycle_s,
    class_users,
    holds_loop,
    outside_ms,
    per_request_ms,
    request_mix,
    request_rates,
    task_users,
    user_cycle_s,
)
from asyncgap.engines import children


def measured(round_trip_ms: float, cpu_ms: float) -> dict:
    return {"round_trip_ms": round_trip_ms, "cpu_ms_alone": cpu_ms}


def test_hot_cpu_is_the_trees_cpu_less_its_idle_timers_over_the_requests_that_ended():
    # a 1.0 s burst: the tree used 0.52 s of CPU, of which its idle timers burn 0.02 s a second
    assert per_request_ms(0.52, idle_rate=0.02, elapsed_s=1.0, requests=1000) == pytest.approx(0.5)
    # the same CPU over twice the requests costs each half as much; the idle share grows with time
    assert per_request_ms(0.52, 0.02, 1.0, 2000) == pytest.approx(0.25)
    assert per_request_ms(0.52, 0.02, 2.0, 1000) == pytest.approx(0.48)


def test_hot_cpu_is_never_negative_and_needs_a_request():
    assert per_request_ms(0.01, idle_rate=0.02, elapsed_s=1.0, requests=10) == 0.0  # idle rate overestimated
    with pytest.raises(ValueError, match="no request"):
        per_request_ms(0.5, 0.0, 1.0, 0)


def test_what_a_call_spends_outside_the_server_is_judged_by_fast():
    assert outside_ms({"/fast": measured(0.3, 0.18)}) == 0.12
    assert outside_ms({}) == 0.0


def burst(in_task: float, in_flight: float = 100.0, cell_users: int = 100, calls: int = 1, **kwargs) -> int:
    kwargs = {"holds_loop": False, "task_ms": 5.0, **kwargs}
    return burst_users(calls, in_task=in_task, in_flight=in_flight, cell_users=cell_users, **kwargs)


def test_a_call_is_burst_with_the_users_its_load_holds_in_it_whether_it_waits_or_computes():
    # a 100 ms sleep and a 5 ms query alike: the users in the task hold the threads its load will
    assert burst(in_task=100.0, task_ms=100.0) == 100
    assert burst(in_task=52.6) == 53
    assert burst(in_task=20.0, in_flight=20.0, cell_users=20) == 20
    assert burst(in_task=500.0, in_flight=500.0, cell_users=500, task_ms=1.0) == IN_FLIGHT
    assert burst(in_task=75.00000000000001) == 75  # float noise adds no user


def test_a_task_of_a_sliver_of_the_time_meets_a_busy_server_unless_its_users_mostly_think():
    # 0.2 users in the task, of a class that keeps 100 in flight: a server kept busy by the others
    assert burst(in_task=0.2) == HOT_USERS
    assert burst(in_task=0.2, in_flight=2.0, cell_users=2) == 2  # never past the cell's users
    # 75 users thinking 4 s after a 0.1 s call keep 1.8 in flight: a burst of 2, not of 4
    assert burst(in_task=1.8, in_flight=1.8, cell_users=300) == 2
    assert burst(in_task=0.03, in_flight=0.03, cell_users=300) == 1  # the batch is it: no burst


def test_a_task_of_several_calls_gets_a_few_users_and_a_call_that_holds_the_loop_one():
    assert burst(in_task=100.0, calls=3, task_ms=10.0) == HOT_USERS
    assert burst(in_task=0.5, calls=3, task_ms=10.0) == HOT_USERS  # its class keeps the server busy
    assert burst(in_task=2.0, in_flight=2.0, cell_users=2, calls=3, task_ms=10.0) == 2
    assert burst(in_task=100.0, holds_loop=True) == 1


def test_a_task_that_opens_connections_to_another_server_is_measured_hot_over_a_keep_alive_cycle():
    # httpx expires idle connections after 5 s: the window holds a whole cycle, not 1 s of it
    assert burst_window_s(opened=1) > 5.0
    assert burst_window_s(opened=40) == burst_window_s(opened=1)
    # none opened (no other server, a database pool opened at startup, or unseen): no cycle
    assert burst_window_s(opened=0) == burst_window_s(opened=-2) == BURST_S < 5.0


def test_a_users_cycle_is_a_task_run_and_its_think_time_over_tasks_by_weight():
    # one task: three calls of 850 ms in all, then 4 s of thinking
    assert class_cycle_s([StepRun(1.0, {"/a": 1, "/b": 1, "/c": 1}, 0.85, 4.0)]) == pytest.approx(4.85)
    # tasks by weight: a 10 ms call three times as often as a 1 s one
    tasks = [StepRun(3.0, {"/fast": 1}, 0.01, 0.0), StepRun(1.0, {"/slow": 1}, 1.0, 0.0)]
    assert class_cycle_s(tasks) == pytest.approx((3 * 0.01 + 1.0) / 4)
    assert class_cycle_s([]) == 0.0


def test_a_task_is_burst_with_the_users_its_load_holds_in_it_by_littles_law():
    # db's mix: reads weigh 5 and take 1 ms, writes 2 and 2 ms, queries 2 and 5 ms, a 19/9 ms cycle
    runs = [StepRun(5.0, {"/notes": 1}, 0.001, 0.0), StepRun(2.0, {"/write": 1}, 0.002, 0.0)]
    runs.append(StepRun(2.0, {"/query": 1}, 0.005, 0.0))
    held = [task_users(100.0, run, runs) for run in runs]
    assert held == pytest.approx([100 * 5 / 19, 100 * 4 / 19, 100 * 10 / 19])
    assert sum(held) == pytest.approx(100.0)  # users that never think are all in some task
    # think time holds users out of every task: a 0.1 s call and 0.9 s of thinking hold a tenth
    thinker = StepRun(1.0, {"/a": 1}, 0.1, 0.9)
    assert task_users(100.0, thinker, [thinker]) == pytest.approx(10.0)
    assert task_users(100.0, runs[0], []) == 0.0  # no run: no cycle


def test_the_users_are_spread_over_the_longest_cycle_of_a_class_that_gets_users():
    # 90 users of a 0.1 s cycle, 10 of a 2.1 s one: each class's come back spread over a cycle
    # of theirs at least (the readers over 21 of theirs), not over a 0.3 s mean, a seventh of
    # the admins' cycle
    reader, admin = [StepRun(1.0, {"/r": 1}, 0.1, 0.0)], [StepRun(1.0, {"/w": 1}, 0.1, 2.0)]
    assert user_cycle_s([(90.0, reader), (10.0, admin)]) == pytest.approx(2.1)
    assert user_cycle_s([(90.0, reader), (0.0, admin)]) == pytest.approx(0.1)  # a class of no user


def test_no_task_run_has_no_users_cycle(tmp_path):
    assert user_cycle_s([]) is None
    assert user_cycle_s([(0.0, [StepRun(1.0, {"/a": 1}, 0.1, 0.0)])]) is None  # a class of no user
    assert calibrated_user_cycle_s(tmp_path) is None  # no verify.json: calibration did not run


def test_a_burst_drains_in_seconds():
    # 1 s calls: no more users than end one after another within DRAIN_S
    assert burst(in_task=100.0, task_ms=1000.0) == int(DRAIN_S)
    assert burst(in_task=100.0, task_ms=60_000.0) == 1


def shares_and_think(*classes: tuple[float, list[StepRun]]) -> tuple[dict[str, float], dict[str, float]]:
    """What verify records from each (class's users, its tasks' runs): shares, and think ms after each."""
    mix = request_mix(classes)
    return {e: share for e, (share, _) in mix.items()}, {e: think for e, (_, think) in mix.items()}


def test_user_classes_mix_by_the_rate_their_users_send_not_by_their_weights():
    # equal weights: users that never think after 10 ms calls, and users that think 1 s after them
    eager = (1.0, [StepRun(1.0, {"/a": 1.0}, calls_s=0.010, think_s=0.0)])
    idle = (1.0, [StepRun(1.0, {"/b": 1.0}, calls_s=0.010, think_s=1.0)])
    shares, think = shares_and_think(eager, idle)
    assert shares["/b"] == pytest.approx(1 / 102)  # 100 calls a second a user against 1 in 1.01 s
    assert think == pytest.approx({"/a": 0.0, "/b": 1000.0})
    # the model's one cycle, R + Z over these shares, gives 100 users the two classes' rates
    cycle_s = sum(shares[e] * (0.010 + think[e] / 1000) for e in shares)
    assert 100 / cycle_s == pytest.approx(50 / 0.010 + 50 / 1.010)


def test_within_a_class_the_tasks_weights_are_the_shares_and_a_runs_think_time_is_shared():
    # weights 3:1 whatever each task's length; the long task's two calls share its 40 ms wait
    runs = [
        StepRun(3.0, {"/short": 1.0}, calls_s=0.001, think_s=0.010),
        StepRun(1.0, {"/long": 1.0, "/short": 1.0}, calls_s=0.200, think_s=0.040),
    ]
    shares, think = shares_and_think((4.0, runs))
    assert shares == pytest.approx({"/short": 4 / 5, "/long": 1 / 5})
    assert think == pytest.approx({"/short": (3 * 10 + 20) / 4, "/long": 20.0})


def test_a_task_that_made_no_call_leaves_its_class_with_the_others_and_no_run_sends_nothing():
    # a TaskSet's task that only interrupts has no run: the class's users pick the others, as
    # Locust's do, so the class sends as many requests as one of those tasks alone would
    reader = [StepRun(0.5, {"/a": 1.0}, 0.010, 0.0), StepRun(0.25, {"/c": 1.0}, 0.030, 0.0)]  # 0.25 left
    whole = [StepRun(2 / 3, {"/a": 1.0}, 0.010, 0.0), StepRun(1 / 3, {"/c": 1.0}, 0.030, 0.0)]
    writer = (1.0, [StepRun(1.0, {"/b": 1.0}, 0.010, 0.0)])
    shares, _ = shares_and_think((1.0, reader), writer)
    assert shares == pytest.approx(shares_and_think((1.0, whole), writer)[0])
    assert shares["/b"] == pytest.approx(1 / (1 + 3 / 5))  # 100 a second against 60
    assert list(request_rates(1.0, [])) == []
    assert request_mix([(0.0, [StepRun(1.0, {"/a": 1.0}, 0.010, 0.0)])]) == {"/a": (0.0, 0.0)}  # no user


def test_a_request_to_another_server_than_the_app_is_named_with_where_it_went():
    app = "http://127.0.0.1:8101"
    assert another_server("http://127.0.0.1:8101/api?x=1", app) is None
    assert another_server("http://127.0.0.1:80/health", "http://127.0.0.1") is None  # the default port
    elsewhere = another_server("http://127.0.0.1:8000/api", app)
    assert elsewhere is not None
    assert elsewhere.startswith(
        "sent to http://127.0.0.1:8000, not to the app under test at http://127.0.0.1:8101"
    )
    assert another_server("https://127.0.0.1:8101/api", app)  # another scheme: another server
    assert another_server("https://api.example.com/v1", app)


def test_users_go_to_each_class_by_weight_after_its_fixed_count_as_locust_dispatches_them():
    weighted = {"Reader": (0, 3.0), "Writer": (0, 1.0)}
    assert class_users(weighted, 100) == {"Reader": 75.0, "Writer": 25.0}
    with_admin = {**weighted, "Admin": (1, 1.0)}  # fixed_count 1: one admin whatever the users
    assert class_users(with_admin, 101) == {"Reader": 75.0, "Writer": 25.0, "Admin": 1}
    assert class_users({"Reader": (0, 1.0)}, 0) == {"Reader": 0.0}
    assert class_users({"Admin": (2, 1.0), "Ops": (2, 1.0), "Reader": (0, 1.0)}, 2) == {
        "Admin": 1.0,
        "Ops": 1.0,
        "Reader": 0.0,
    }


def test_a_calibration_step_that_hangs_fails_the_cell_with_its_name(tmp_path, monkeypatch):
    def stuck(argv, *, progress_path, **_options):
        # verify is told where to say each step, and the harness watches that file
        assert argv[argv.index("--steps") + 1] == str(progress_path) == str(tmp_path / STEPS_NAME)
        progress_path.write_text(
            "get_1: a check, then calls one at a time\nget_1: 20 users at once, measured over 1 s\n"
        )
        raise children.Overrun("still running after 90 s without progress; stopped")

    monkeypatch.setattr(children, "run", stuck)
    with pytest.raises(
        CalibrationError,
        match=r"^checking the scenario's URLs: one step took over 90 s, at "
        r"'get_1: 20 users at once, measured over 1 s'$",
    ):
        calibrate(
            tmp_path, locustfile="traffic.py", server=_server(), options=[], station_of=lambda *_: "loop"
        )


def test_a_calibration_that_hangs_before_its_first_step_says_so(tmp_path, monkeypatch):
    def stuck(argv, **_options):
        raise children.Overrun("still running after 90 s without progress; stopped")

    monkeypatch.setattr(children, "run", stuck)
    with pytest.raises(CalibrationError, match=r"one step took over 90 s, before its first task$"):
        calibrate(
            tmp_path, locustfile="traffic.py", server=_server(), options=[], station_of=lambda *_: "loop"
        )


def test_a_call_holds_the_loop_when_the_loop_stalled_past_its_cpu_for_half_its_round_trip():
    assert holds_loop(loop_blocked_ms=2000.0, cpu_ms=1.0, round_trip_ms=2003.0)  # time.sleep(2)
    assert not holds_loop(loop_blocked_ms=50.0, cpu_ms=49.0, round_trip_ms=52.0)  # a hash: the cpu bound's
    assert not holds_loop(loop_blocked_ms=30.0, cpu_ms=1.0, round_trip_ms=130.0)  # then awaits 100 ms
    assert not holds_loop(loop_blocked_ms=None, cpu_ms=1.0, round_trip_ms=2003.0)  # no watch file read


def test_an_async_route_found_blocking_the_loop_is_calibrated_at_the_loop(tmp_path, monkeypatch):
    """The routes say `delay` for every `async def`; the watchdog's stalls during its batch say
    which of them hold the loop, and only those move: a declared `def` route keeps its threads."""

    def verified(argv, **_options):
        endpoint = {"method": "GET", "requests": 3, "error": None, "share": 1 / 3, "reached": None}
        found = {
            "/legacy": {**endpoint, "round_trip_ms": 2003.0, "cpu_ms_alone": 1.0, "loop_blocked_ms": 1998.0},
            "/ready": {**endpoint, "round_trip_ms": 21.0, "cpu_ms_alone": 0.5, "loop_blocked_ms": 0.0},
            "/sync": {**endpoint, "round_trip_ms": 2003.0, "cpu_ms_alone": 1.0, "loop_blocked_ms": 1998.0},
        }
        found = {name: {**m, "cpu_ms_busy": None} for name, m in found.items()}
        (tmp_path / "verify.json").write_text(json.dumps({"endpoints": found, "user_cycle_s": 0.7}))
        return 0

    monkeypatch.setattr(children, "run", verified)
    routes = {"/legacy": "delay", "/ready": "delay", "/sync": "threads"}
    got = calibrate(
        tmp_path, locustfile="t.py", server=_server(), options=[], station_of=lambda name, _: routes[name]
    )
    assert {name: e.station for name, e in got.items()} == {
        "/legacy": "loop",
        "/ready": "delay",
        "/sync": "threads",
    }
    assert got["/legacy"].loop_blocked_ms == 1998.0


def _server():
    """What calibrate reads of a running server: its URL and its process's pid."""
    return SimpleNamespace(url="http://127.0.0.1:8101", process=SimpleNamespace(pid=1))
