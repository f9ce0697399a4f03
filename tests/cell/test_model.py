"""The model's bounds against hand-derived values, recomputation from a record, and independence."""

import pytest

from asyncgap.cell import explain, model
from asyncgap.cell.model import Server, even_split, predict, recompute
from asyncgap.cell.recording import record
from asyncgap.core.prediction import EndpointCalibration, Model
from asyncgap.core.records import NO_APP_FRAME, BlockingSite, EndpointFigures, Figures

SLEEP_MS, FAST_MS, OUTSIDE_MS = 100.0, 0.3, 0.5  # service times, and the client's share of a round trip


def call(station: str, share: float, service_ms: float, cpu_ms: float = 0.3) -> EndpointCalibration:
    return EndpointCalibration(
        method="GET",
        station=station,
        share=share,
        service_ms=service_ms,
        round_trip_ms=service_ms + OUTSIDE_MS,
        cpu_ms_alone=cpu_ms,
        cpu_ms_busy=cpu_ms,
    )


def sleep_mix(variant: str) -> dict[str, EndpointCalibration]:
    """The sleep scenario: 9 slow calls to 1 /fast probe, each station as the routes declare it."""
    station = {"sync": "threads", "async": "delay", "async-blocking": "loop"}[variant]
    return {f"/{variant}/sleep": call(station, 0.9, SLEEP_MS), "/fast": call("loop", 0.1, FAST_MS)}


CYCLE_S = (0.9 * SLEEP_MS + 0.1 * FAST_MS + OUTSIDE_MS) / 1000  # a user's mean round trip
QUEUED = 2e-3  # users' bound lowered by their queue for a core a third busy (0.3 ms a 91 ms cycle)
HELD = 2e-3  # tokens' bound lowered by the loop's wait for that core as a thread's result comes back


def test_sync_is_capped_by_thread_tokens():
    got = predict(sleep_mix("sync"), 100, Server(workers=1))
    assert got.bound == "threads"
    assert got.predicted_rps == pytest.approx(40 / 0.09, rel=HELD)  # 40 tokens / 90 ms of token time
    assert got.bounds_rps["connections"] == pytest.approx(100 / CYCLE_S, rel=QUEUED)


def test_sync_below_the_token_count_is_bound_by_its_users():
    free = {n: e.model_copy(update={"cpu_ms_busy": 0.0}) for n, e in sleep_mix("sync").items()}
    got = predict(free, 10, Server(workers=1))  # no CPU: no queue for the core
    assert got.bounds_rps["threads"] == got.bounds_rps["connections"]
    assert got.bound == "connections"  # a tie between threads and connections names the users
    assert got.predicted_rps == pytest.approx(10 / CYCLE_S, abs=0.01)
    assert predict(sleep_mix("sync"), 10, Server(workers=1)).bound == "connections"  # they queue a hair


def test_async_blocking_is_capped_by_one_loop_per_worker():
    loop_s = (0.9 * SLEEP_MS + 0.1 * FAST_MS) / 1000
    one, two = (predict(sleep_mix("async-blocking"), 100, Server(workers=w)) for w in (1, 2))
    assert (one.bound, two.bound) == ("loop", "loop")
    assert one.predicted_rps == pytest.approx(1 / loop_s, abs=0.01)
    assert two.predicted_rps == pytest.approx(2 / loop_s, abs=0.01)


def test_async_is_bound_by_its_users_until_cpu_binds():
    got = predict(sleep_mix("async"), 100, Server(workers=1))
    assert (got.bound, got.predicted_rps) == ("connections", pytest.approx(100 / CYCLE_S, rel=QUEUED))
    assert got.predicted_rps < 100 / CYCLE_S  # the core a third busy still queues a few
    costly = {n: e.model_copy(update={"cpu_ms_busy": 2.0}) for n, e in sleep_mix("async").items()}
    capped = predict(costly, 100, Server(workers=1, cores=1))
    assert (capped.bound, capped.predicted_rps) == ("cpu", pytest.approx(500))


def test_users_queue_for_the_core_where_their_bound_and_the_cores_meet():
    assert model.queued_for_cores(1, 0.1, 1000, cores=1) == pytest.approx(10)  # one user never queues
    met = model.queued_for_cores(100, 0.1, 1000, cores=1)  # 100 users of 100 ms on a 1 ms core
    assert 0.9 * 1000 < met < 0.95 * 1000  # both asymptotes say 1,000
    assert met == pytest.approx(929.97, abs=0.01)  # the figure docs/methodology.md quotes
    assert model.queued_for_cores(1000, 0.1, 1000, cores=1) == pytest.approx(1000)  # far past the knee
    assert model.queued_for_cores(100, 0.1, 100_000, cores=1) == pytest.approx(1000, rel=1e-3)  # far below
    # 2 ms a request, 100 users of 200 ms: one core meets the users (500 a second each), two do not
    assert model.queued_for_cores(100, 0.2, 500, cores=1) < 0.95 * 500
    assert model.queued_for_cores(100, 0.2, 1000, cores=2) > 0.99 * 500
    # a request dearer hot than a user's whole cycle alone: the cores still bound it
    assert model.queued_for_cores(100, 0.001, 1000, cores=2) == pytest.approx(1000)
    meeting = {
        n: e.model_copy(update={"cpu_ms_busy": 1000 * CYCLE_S / 100}) for n, e in sleep_mix("async").items()
    }
    got = predict(meeting, 100, Server(workers=1, cores=1))
    assert got.bound == "connections"  # the asymptotes tie; the users' is named first
    assert got.predicted_rps == pytest.approx(
        model.queued_for_cores(100, CYCLE_S, 100 / CYCLE_S, 1), abs=0.01
    )
    assert got.predicted_rps < 0.95 * got.bounds_rps["cpu"]


def test_thread_tokens_are_held_while_the_loop_waits_for_a_busy_core():
    """A thread's result reaches its request through the loop: on a busy core the loop is late
    by a queue's wait for it, and each token is held that much longer."""
    plain = 2 * 40 / 0.09  # two workers' tokens over the sleep's 90 ms of token time a request
    busy = {n: e.model_copy(update={"cpu_ms_busy": 0.9}) for n, e in sleep_mix("sync").items()}
    got = predict(busy, 100, Server(workers=2, cores=1))
    cpu_rps = got.bounds_rps["cpu"]  # 1,111: a core of 0.9 ms requests

    def held_s(rps: float) -> float:  # a request's token time and the loop's wait, of a token holder
        return SLEEP_MS / 1000 + (rps / cpu_rps) / (1 - rps / cpu_rps) / cpu_rps

    assert got.bound == "threads"
    assert got.predicted_rps == pytest.approx(80 / (0.9 * held_s(got.predicted_rps)), rel=1e-4)
    assert 0.9 * plain < got.predicted_rps < 0.97 * plain
    idle = {n: e.model_copy(update={"cpu_ms_busy": 0.001}) for n, e in sleep_mix("sync").items()}
    assert predict(idle, 100, Server(workers=2, cores=1)).predicted_rps == pytest.approx(plain, rel=1e-4)
    # 12 users on a worker of 40 tokens never run out of them: only the other worker's are held longer
    split = predict(busy, 100, Server(workers=2, cores=1), connections=[88, 12])
    rps = split.bounds_rps["threads"]
    assert rps == pytest.approx(12 / CYCLE_S + 40 / (0.9 * held_s(rps)), rel=1e-4)


def test_where_the_core_binds_before_the_tokens_the_bounds_are_the_plain_ones():
    costly = {n: e.model_copy(update={"cpu_ms_busy": 3.0}) for n, e in sleep_mix("sync").items()}
    got = predict(costly, 100, Server(workers=1, cores=1))
    assert got.bound == "cpu"
    assert got.bounds_rps["threads"] == pytest.approx(40 / 0.09, abs=0.01)  # the tokens alone
    assert got.bounds_rps["cpu"] == pytest.approx(1000 / 3, abs=0.01)  # the core alone: 3 ms a request


def test_a_database_sharing_the_core_queues_users_at_the_cpu_bound():
    database = {
        n: e.model_copy(update={"cpu_ms_busy": 0.5, "db_cpu_ms_busy": 0.6 if "sleep" in n else 0.0})
        for n, e in sleep_mix("async").items()
    }
    got = predict(database, 100, Server(workers=1, cores=1))
    asymptote = 1000 / (0.5 + 0.9 * 0.6)  # the service's and the database's CPU on one core: 962
    assert got.bound == "cpu"  # below the users' 1,105
    assert got.predicted_rps == pytest.approx(model.queued_for_cores(100, CYCLE_S, asymptote, 1), abs=0.01)
    assert got.predicted_rps < 0.99 * asymptote


def test_one_worker_uses_one_core_however_many_the_server_has_unless_a_pool_works():
    costly = {"/sync/cpu": call("threads", 1.0, 10.0, cpu_ms=10.0)}
    assert predict(costly, 20, Server(workers=1, cores=4)).bounds_rps["cpu"] == pytest.approx(100)
    pooled = {"/async/cpu": call("pool", 1.0, 10.0, cpu_ms=10.0)}
    assert predict(pooled, 20, Server(workers=1, pool_processes=4, cores=4)).bounds_rps[
        "cpu"
    ] == pytest.approx(400)


def test_uneven_connection_split_lowers_the_sync_ceiling():
    # 88 connections on one worker saturate its 40 tokens; 12 on the other cannot.
    even = predict(sleep_mix("sync"), 100, Server(workers=2))
    uneven = predict(sleep_mix("sync"), 100, Server(workers=2), connections=[88, 12])
    assert even.predicted_rps == pytest.approx(2 * 40 / 0.09, rel=HELD)
    assert uneven.predicted_rps == pytest.approx(40 / 0.09 + 12 / CYCLE_S, rel=HELD)
    assert uneven.predicted_rps < even.predicted_rps


def test_a_split_that_counted_fewer_connections_than_users_gives_their_proportions():
    # 300 users who think past gunicorn's 2 s keep-alive: 194 connections open at the busiest
    # sample. The users are still 300; the kernel's 132/62 says how they divide.
    counted = predict(sleep_mix("sync"), 300, Server(workers=2), connections=[132, 62])
    assert counted.inputs.connections == [204, 96]
    proportioned = predict(sleep_mix("sync"), 300, Server(workers=2), [204, 96])
    assert counted.predicted_rps == proportioned.predicted_rps
    assert recompute(counted.inputs) == counted
    assert model.users_split([12, 11], 100) == [52, 48]  # a stalled loop's backlog: 23 accepted
    assert model.users_split([60, 60], 100) == [50, 50]
    assert model.users_split([88, 12], 100) == [88, 12]
    assert sum(model.users_split([1, 1, 1], 100)) == 100
    assert model.users_split([0, 0], 300) == [150, 150]  # no connection counted: no proportions


def test_ordering_matches_the_story():
    rps = {
        v: predict(sleep_mix(v), 100, Server(workers=1)).predicted_rps
        for v in ("sync", "async", "async-blocking")
    }
    assert rps["async"] > 2 * rps["sync"] > 20 * rps["async-blocking"]


def test_predicted_rps_is_recomputed_from_the_recorded_inputs_alone():
    """What a reader of summary.json can do: the inputs give back every bound, and the minimum."""
    recorded = Model.model_validate_json(
        predict(sleep_mix("sync"), 100, Server(workers=2), [70, 30]).model_dump_json()
    )
    again = recompute(recorded.inputs)
    assert again.bounds_rps == recorded.bounds_rps
    assert recorded.predicted_rps == min(recorded.bounds_rps.values())
    assert again.bound == recorded.bound == "threads"


def measured(rps: float, cpu_ms: float, split: list[int]) -> Figures:
    """A cell's measured figures, as measure.cell_figures gives them."""
    return Figures(
        rps=rps,
        server_cpu_ms_per_request=cpu_ms,
        connections_per_worker=split,
        tokens_busy_max=40.0,
        loop_lag_max_ms=2.0,
        generator_cores_busy=0.3,
        generator_bound=False,
        failures=0,
    )


def test_a_threads_bound_miss_says_how_full_its_thread_tokens_were():
    prediction = predict(sleep_mix("sync"), 100, Server(workers=1))
    assert prediction.bound == "threads"
    short = prediction.predicted_rps * 0.8

    def reason(**tokens: float) -> str:
        figures = measured(rps=short, cpu_ms=0.3, split=[100]).model_copy(update=tokens)
        return record(prediction, figures).model.reason

    # all 40 at times, 31.5 on average: users that came back in waves
    assert reason(tokens_busy_max=40.0, threads_busy_mean=31.5) == (
        "measured 0.80x the prediction: a worker's threads ran 31.5 requests at a time on average, "
        "of its 40 thread tokens"
    )
    assert reason(tokens_busy_max=25.0, threads_busy_mean=20.0) == (
        "measured 0.80x the prediction: at most 25 of a worker's 40 thread tokens were busy"
    )
    assert "thread" not in reason(tokens_busy_max=40.0, threads_busy_mean=39.6)  # full: not the cause
    two = predict(sleep_mix("sync"), 100, Server(workers=2))
    figures = measured(rps=two.predicted_rps * 0.8, cpu_ms=0.3, split=[50, 50])
    both = figures.model_copy(update={"threads_busy_mean": 60.0})  # the watchdog's, over both workers
    assert two.bound == "threads"
    assert record(two, both).model.reason.endswith(
        "ran 30.0 requests at a time on average, of its 40 thread tokens"
    )


def test_the_prediction_is_independent_of_the_measured_throughput_and_cpu():
    prediction = predict(sleep_mix("sync"), 100, Server(workers=1))
    low = record(prediction, measured(rps=100.0, cpu_ms=5.0, split=[100]))
    high = record(prediction, measured(rps=900.0, cpu_ms=0.1, split=[100]))
    assert low.predicted_rps == high.predicted_rps == prediction.predicted_rps
    assert low.model.bounds_rps == high.model.bounds_rps
    assert (low.measured_over_predicted, high.measured_over_predicted) == (
        pytest.approx(100 / prediction.predicted_rps, abs=1e-3),
        pytest.approx(900 / prediction.predicted_rps, abs=1e-3),
    )


def test_a_miss_carries_its_measured_reason_and_a_hit_none():
    prediction = predict(sleep_mix("async"), 100, Server(workers=1))
    hit = record(prediction, measured(rps=prediction.predicted_rps, cpu_ms=0.3, split=[100]))
    assert hit.model.reason == ""
    miss = record(prediction, measured(rps=prediction.predicted_rps / 2, cpu_ms=0.9, split=[100]))
    assert miss.model.reason == (
        "measured 0.50x the prediction: "
        "each request cost 3.0x the CPU calibrated hot (0.90 ms under load, 0.30 ms hot, 0.30 ms alone)"
    )


def test_a_miss_bound_by_its_users_says_where_a_users_cycle_went():
    prediction = predict(sleep_mix("async"), 100, Server(workers=1))
    assert prediction.bound == "connections"
    rps = prediction.predicted_rps * 0.8
    cycle_ms = 1000 * 100 / rps  # Little's law: 100 users, no think time
    slow_generator = measured(rps=rps, cpu_ms=0.3, split=[100]).model_copy(update={"mean_ms": cycle_ms - 2.0})
    assert (
        f"a user's cycle took {cycle_ms:.2f} ms (users / rps), against a {1000 * CYCLE_S:.2f} ms round trip "
        f"calibrated one call at a time: responses took {cycle_ms - 2.0:.2f} ms on average, then 2.00 ms to "
        "the user's next request"
    ) in record(prediction, slow_generator).model.reason
    slow_server = slow_generator.model_copy(update={"mean_ms": cycle_ms})
    assert record(prediction, slow_server).model.reason.endswith(
        f"responses took {cycle_ms:.2f} ms on average"
    )
    capped = predict(sleep_mix("sync"), 100, Server(workers=1))  # the tokens bind, not the users
    queued = measured(rps=capped.predicted_rps * 0.8, cpu_ms=0.3, split=[100]).model_copy(
        update={"mean_ms": 200.0}
    )
    assert "cycle" not in record(capped, queued).model.reason
    thinking = {n: e.model_copy(update={"think_ms": 400.0}) for n, e in sleep_mix("async").items()}
    thought = predict(thinking, 100, Server(workers=1))
    cycle_ms = 1000 * 100 / (thought.predicted_rps * 0.8)
    late = measured(rps=thought.predicted_rps * 0.8, cpu_ms=0.3, split=[100]).model_copy(
        update={"mean_ms": 95.0}
    )
    assert (
        f"a user's cycle took {cycle_ms:.2f} ms (users / rps), against a {1000 * CYCLE_S:.2f} ms round trip "
        f"calibrated one call at a time and 400.00 ms of think time (its wait_time): responses took 95.00 ms "
        f"on average, then {cycle_ms - 95.0:.2f} ms to the user's next request"
    ) in record(thought, late).model.reason


def test_a_miss_names_the_wake_ups_that_differed_from_calibration_and_the_preemptions():
    calibrated = {n: e.model_copy(update={"wakeups_busy": 1.0}) for n, e in sleep_mix("async").items()}
    prediction = predict(calibrated, 100, Server(workers=1))
    figures = measured(rps=prediction.predicted_rps * 0.8, cpu_ms=0.6, split=[100]).model_copy(
        update={"server_wakeups_per_request": 3.0, "server_preemptions_per_request": 0.4}
    )
    reason = record(prediction, figures).model.reason
    assert "the server slept and woke more often: 3.00 wake-ups (voluntary context switches)" in reason
    assert "1.00 calibrated hot" in reason
    assert reason.endswith("it was preempted 0.40 times a request")
    batched = figures.model_copy(update={"server_wakeups_per_request": 0.5, "server_cpu_ms_per_request": 0.3})
    assert "served more per wake-up: 0.50 wake-ups" in record(prediction, batched).model.reason
    as_calibrated = figures.model_copy(
        update={"server_wakeups_per_request": 1.2, "server_cpu_ms_per_request": 0.3}
    )
    assert (
        "no measured cause found" in record(prediction, as_calibrated).model.reason
    )  # nor preemptions alone


def test_a_cpu_miss_names_the_connections_to_other_servers_that_differed_from_calibration():
    pooled = {
        n: e.model_copy(update={"cpu_ms_busy": 2.0, "outbound_busy": 70})
        for n, e in sleep_mix("async").items()
    }
    prediction = predict(pooled, 100, Server(workers=1, cores=1))
    assert prediction.bound == "cpu"
    cheaper = measured(rps=prediction.predicted_rps * 1.5, cpu_ms=2.0 / 1.5, split=[100])
    reason = record(prediction, cheaper.model_copy(update={"outbound_connections": 38.0})).model.reason
    assert "each request cost 0.7x the CPU calibrated hot" in reason
    assert (
        "it held 38 connections to other servers under load (a mean), against 70 at the end of "
        "calibration's hot burst: a client's pool of another size"
    ) in reason
    for similar in (62.0, 67.0, None):  # within POOL_DRIFT, within POOL_NOTABLE, not counted
        update = {"outbound_connections": similar}
        assert (
            "connections to other servers"
            not in record(prediction, cheaper.model_copy(update=update)).model.reason
        )
    same_cpu = measured(rps=prediction.predicted_rps * 1.5, cpu_ms=2.0, split=[100])
    unexplained = record(prediction, same_cpu.model_copy(update={"outbound_connections": 38.0})).model.reason
    assert "connections to other servers" not in unexplained  # a pool's size is named beside the CPU it moved


def test_a_miss_on_a_slower_machine_names_its_pace_and_the_cpu_only_beyond_it():
    paced = {n: e.model_copy(update={"pace_busy_ms": 0.6}) for n, e in sleep_mix("async").items()}
    prediction = predict(paced, 100, Server(workers=1))
    slow = measured(rps=prediction.predicted_rps * 0.75, cpu_ms=0.39, split=[100])
    reason = record(prediction, slow.model_copy(update={"pace_ms": 0.78})).model.reason
    assert reason == (
        "measured 0.75x the prediction: the server's cores ran 1.30x slower under load than the "
        "prediction assumed (a unit of reference work took 0.780 ms of CPU, against 0.600)"
    )  # 0.39 ms a request at 0.78 ms a unit is the 0.30 calibrated at 0.6
    dearer = record(prediction, slow.model_copy(update={"pace_ms": 0.6})).model.reason
    assert "each request cost 1.3x the CPU calibrated hot (0.39 ms under load, 0.30 ms hot" in dearer
    assert "cores ran" not in dearer
    both = record(prediction, slow.model_copy(update={"pace_ms": 0.39})).model.reason
    assert "cores ran 1.54x faster" in both and "2.0x the CPU calibrated hot" in both
    assert "0.60 ms at the pace expected" in both


def test_a_cpu_bound_miss_names_a_cpu_that_moved_under_its_drift_when_it_explains_half_the_miss():
    costly = {n: e.model_copy(update={"cpu_ms_busy": 2.0}) for n, e in sleep_mix("async").items()}
    prediction = predict(costly, 100, Server(workers=1, cores=1))
    assert prediction.bound == "cpu"
    short = prediction.predicted_rps * 0.88  # 1.14x short: half of it is 1.066x the CPU
    dearer = record(prediction, measured(rps=short, cpu_ms=2.16, split=[100])).model.reason
    assert "each request cost 1.1x the CPU calibrated hot (2.16 ms under load, 2.00 ms hot" in dearer
    for unexplained in (2.1, 1.9):  # too little, or the other way
        reason = record(prediction, measured(rps=short, cpu_ms=unexplained, split=[100])).model.reason
        assert "the CPU calibrated hot" not in reason
    users_bound = predict(sleep_mix("async"), 100, Server(workers=1))  # its CPU is not what binds it
    slow = measured(rps=users_bound.predicted_rps * 0.88, cpu_ms=0.324, split=[100])
    assert "the CPU calibrated hot" not in record(users_bound, slow).model.reason


def test_a_cpu_bound_miss_names_a_pace_that_moved_under_its_drift_when_it_explains_half_the_miss():
    costly = {
        n: e.model_copy(update={"cpu_ms_busy": 2.0, "pace_busy_ms": 0.6})
        for n, e in sleep_mix("async").items()
    }
    prediction = predict(costly, 100, Server(workers=1, cores=1))
    short = measured(rps=prediction.predicted_rps * 0.88, cpu_ms=2.16, split=[100])  # 2.00 ms at pace
    slower = record(prediction, short.model_copy(update={"pace_ms": 0.648})).model.reason
    assert slower == (
        "measured 0.88x the prediction: the server's cores ran 1.08x slower under load than the "
        "prediction assumed (a unit of reference work took 0.648 ms of CPU, against 0.600)"
    )
    for unexplained in (0.63, 0.56):  # too little, or the other way
        reason = record(prediction, short.model_copy(update={"pace_ms": unexplained})).model.reason
        assert "cores ran" not in reason
    paced = {n: e.model_copy(update={"pace_busy_ms": 0.6}) for n, e in sleep_mix("async").items()}
    users_bound = predict(paced, 100, Server(workers=1))  # the cores' pace is not what binds it
    slow = measured(rps=users_bound.predicted_rps * 0.88, cpu_ms=0.324, split=[100])  # 0.30 ms at pace
    assert "cores ran" not in record(users_bound, slow.model_copy(update={"pace_ms": 0.648})).model.reason


def test_a_miss_names_a_database_that_cost_other_cpu_under_load_than_calibrated_hot():
    queried = {
        n: e.model_copy(update={"db_cpu_ms": 1.4, "db_cpu_ms_busy": 1.84})
        for n, e in sleep_mix("async").items()
    }
    prediction = predict(queried, 100, Server(workers=1, cores=1))
    above = measured(rps=prediction.predicted_rps * 1.13, cpu_ms=0.3, split=[100])
    reason = record(prediction, above.model_copy(update={"db_cpu_ms_per_request": 1.48})).model.reason
    assert reason == (
        "measured 1.13x the prediction: the database cost 0.8x the CPU calibrated hot "
        "(1.48 ms a request under load, 1.84 ms hot, 1.40 ms alone)"
    )
    below = measured(rps=prediction.predicted_rps * 0.85, cpu_ms=0.3, split=[100])
    dearer = record(prediction, below.model_copy(update={"db_cpu_ms_per_request": 2.21})).model.reason
    assert (
        "the database cost 1.2x the CPU calibrated hot (2.21 ms a request under load, 1.84 ms hot" in dearer
    )
    for unnamed in (1.75, 0.0):  # as hot, or not read
        reason = record(prediction, above.model_copy(update={"db_cpu_ms_per_request": unnamed})).model.reason
        assert "the database" not in reason


def test_a_database_on_slower_cores_is_named_only_beyond_their_pace():
    queried = {
        n: e.model_copy(update={"db_cpu_ms": 1.4, "db_cpu_ms_busy": 1.84, "pace_busy_ms": 0.6})
        for n, e in sleep_mix("async").items()
    }
    prediction = predict(queried, 100, Server(workers=1, cores=1))
    slow = measured(rps=prediction.predicted_rps * 0.8, cpu_ms=0.375, split=[100]).model_copy(
        update={"pace_ms": 0.75}  # 1.25x slower: the service's 0.30 ms read 0.375
    )
    as_paced = record(prediction, slow.model_copy(update={"db_cpu_ms_per_request": 2.3})).model.reason
    assert "cores ran 1.25x slower" in as_paced and "the database" not in as_paced
    dearer = record(prediction, slow.model_copy(update={"db_cpu_ms_per_request": 2.76})).model.reason
    assert (
        "the database cost 1.2x the CPU calibrated hot (2.76 ms a request under load, 2.21 ms at " in dearer
    )


def test_cpu_is_predicted_at_the_pace_expected_of_the_load_not_its_bursts():
    """A burst in a slow second of the machine (0.8 ms a unit) read 2.0 ms a request; the minute
    before the load ran at 0.6 ms a unit, so the load is expected to pay 1.5 ms."""
    burst = {
        n: e.model_copy(update={"cpu_ms_busy": 2.0, "db_cpu_ms_busy": 0.4, "pace_busy_ms": 0.8})
        for n, e in sleep_mix("async").items()
    }
    at_bursts = predict(burst, 100, Server(workers=1, cores=1))
    expected = {n: e.model_copy(update={"pace_expected_ms": 0.6}) for n, e in burst.items()}
    at_minute = predict(expected, 100, Server(workers=1, cores=1))
    assert at_bursts.bound == at_minute.bound == "cpu"
    assert at_bursts.predicted_rps == pytest.approx(1000 / 2.4, rel=1e-3)
    assert at_minute.predicted_rps == pytest.approx(1000 / (0.75 * 2.4), rel=1e-3)
    assert model.predicted_cpu_ms(at_minute) == pytest.approx(1.5)
    assert explain.expected_pace_ms(at_minute) == pytest.approx(0.6)
    assert recompute(at_minute.inputs).predicted_rps == at_minute.predicted_rps  # it is in the record
    unpaced = {n: e.model_copy(update={"pace_busy_ms": None}) for n, e in expected.items()}
    assert predict(unpaced, 100, Server(workers=1, cores=1)).predicted_rps == at_bursts.predicted_rps


def test_a_backlog_slope_is_predicted_at_the_pace_expected_too():
    sloped = {
        n: e.model_copy(update={"cpu_ms_busy": 2.0, "cpu_ms_per_backlog": 0.01, "backlog_busy": 50.0})
        for n, e in sleep_mix("async").items()
    }
    paced = {
        n: e.model_copy(update={"pace_busy_ms": 0.8, "pace_expected_ms": 0.4}) for n, e in sloped.items()
    }
    for backlog in (0.0, 50.0, 90.0):
        assert model.cpu_ms(paced["/fast"], backlog) == pytest.approx(
            model.cpu_ms(sloped["/fast"], backlog) / 2
        )
    at_half = predict(paced, 100, Server(workers=1, cores=1))
    assert at_half.predicted_rps > 1.5 * predict(sloped, 100, Server(workers=1, cores=1)).predicted_rps


def test_a_load_at_the_pace_expected_names_neither_the_pace_nor_the_cpu():
    """The burst ran in a slow second (0.8 ms a unit) and the minute before the load at 0.6: a load
    at 0.6 paying what the model expected there (1.5 ms, not 2.0) is no news, and one that ran at
    0.8 after all is named for its pace."""
    burst = {
        n: e.model_copy(update={"cpu_ms_busy": 2.0, "pace_busy_ms": 0.8, "pace_expected_ms": 0.6})
        for n, e in sleep_mix("async").items()
    }
    prediction = predict(burst, 100, Server(workers=1, cores=1))
    short = measured(rps=prediction.predicted_rps * 0.85, cpu_ms=1.5, split=[100])
    as_expected = record(prediction, short.model_copy(update={"pace_ms": 0.6})).model.reason
    assert "cores ran" not in as_expected and "the CPU calibrated hot" not in as_expected
    slow = measured(rps=prediction.predicted_rps * 0.75, cpu_ms=2.0, split=[100])
    slowed = record(prediction, slow.model_copy(update={"pace_ms": 0.8})).model.reason
    assert "the server's cores ran 1.33x slower under load than the prediction assumed" in slowed
    assert "the CPU calibrated hot" not in slowed


def test_the_expected_pace_without_a_minute_before_the_load_weighs_each_burst_by_its_share_of_the_cpu():
    endpoints = sleep_mix("async")  # 0.9 of the requests at 0.3 ms, 0.1 at 0.3 ms
    endpoints["/async/sleep"] = endpoints["/async/sleep"].model_copy(update={"pace_busy_ms": 0.5})
    endpoints["/fast"] = endpoints["/fast"].model_copy(update={"pace_alone_ms": 1.0})  # no burst: its batch's
    assert explain.expected_pace_ms(predict(endpoints, 100, Server(workers=1))) == pytest.approx(0.55)
    unpaced = {
        n: e.model_copy(update={"pace_busy_ms": None, "pace_alone_ms": None}) for n, e in endpoints.items()
    }
    assert explain.expected_pace_ms(predict(unpaced, 100, Server(workers=1))) is None


def test_an_endpoint_no_task_sends_leaves_the_expected_pace_and_wake_ups_to_the_others():
    paced = {
        n: e.model_copy(update={"pace_busy_ms": 0.6, "wakeups_busy": 1.0})
        for n, e in sleep_mix("async").items()
    }
    sign_in = call("threads", share=0.0, service_ms=160.0, cpu_ms=160.0)  # an on_start's: no burst of its own
    paced["POST /sign-in"] = sign_in.model_copy(update={"pace_busy_ms": None, "wakeups_busy": None})
    prediction = predict(paced, 100, Server(workers=1))
    assert explain.expected_pace_ms(prediction) == pytest.approx(0.6)
    slow = measured(rps=prediction.predicted_rps * 0.75, cpu_ms=0.39, split=[100]).model_copy(
        update={"pace_ms": 0.78, "server_wakeups_per_request": 3.0}
    )
    reason = record(prediction, slow).model.reason
    assert "the server's cores ran 1.30x slower under load than the prediction assumed" in reason
    assert "3.00 wake-ups (voluntary context switches) a request under load, 1.00 calibrated hot" in reason


def test_a_request_cheaper_under_load_than_calibrated_hot_says_so():
    prediction = predict(sleep_mix("async"), 100, Server(workers=1))
    cheaper = record(prediction, measured(rps=prediction.predicted_rps * 1.5, cpu_ms=0.15, split=[100]))
    assert cheaper.model.reason.startswith("measured 1.50x the prediction: each request cost 0.5x")


def test_a_miss_whose_cpu_grew_names_the_application_call_the_loop_stalled_in():
    prediction = predict(sleep_mix("async"), 100, Server(workers=1))
    pool = BlockingSite(
        site="service/routes/upstream.py:26 upstream_non_blocking",
        callee="httpx.AsyncClient.get",
        blocked_s=1.0,
        share=0.99,
        state="cpu",
        innermost="httpcore.is_socket_readable",
        state_share=1.0,
    )
    figures = measured(rps=prediction.predicted_rps / 2, cpu_ms=0.9, split=[100]).model_copy(
        update={"blocking": [pool], "loop_blocked_share": 0.05}
    )
    assert record(prediction, figures).model.reason.endswith(
        "the loop stalled 5% of the time, 99% of it in httpx.AsyncClient.get called from "
        "service/routes/upstream.py:26 (upstream_non_blocking), "
        "working on the CPU in httpcore.is_socket_readable"
    )
    quiet = {
        "no application frame": {"blocking": [pool.model_copy(update={"site": NO_APP_FRAME})]},
        "waiting on I/O": {"blocking": [pool.model_copy(update={"state": "io"})]},
        "spread over sites": {"blocking": [pool.model_copy(update={"share": 0.3})]},
        "a loop hardly blocked": {"loop_blocked_share": 0.005},
        "CPU as calibrated": {"server_cpu_ms_per_request": 0.3},
    }
    for why, change in quiet.items():
        assert "stalled" not in record(prediction, figures.model_copy(update=change)).model.reason, why


def test_a_miss_names_the_requests_no_task_sent_first():
    """A locustfile's on_start signed users up (a share of 0 in the calibrated mix), into the
    measured seconds: the reason says so before anything else."""
    calibrated = {**sleep_mix("async"), "POST /users": call("delay", 0.0, 200.0)}
    prediction = predict(calibrated, 100, Server(workers=1))
    signups = {
        "POST /users": figures_of(22),
        "/async/sleep": figures_of(6),
        "/fast": figures_of(1),
    }
    figures = measured(rps=prediction.predicted_rps / 5, cpu_ms=0.3, split=[100]).model_copy(
        update={"endpoints": signups}
    )
    assert record(prediction, figures).model.reason == (
        "measured 0.20x the prediction: 76% of the requests (22 POST /users of 29) were outside the "
        "model's mix, sent by no task (an on_start still running? a task that calls two routes?)"
    )
    few = {**signups, "POST /users": figures_of(1), "/async/sleep": figures_of(60)}
    assert "outside" not in record(prediction, figures.model_copy(update={"endpoints": few})).model.reason


def test_a_miss_names_a_dear_endpoint_the_load_called_more_than_its_weight_and_cpu_only_beyond_it():
    """Every user's on_start signed in (a task of the mix too, at a tenth of its weight), and the
    sign-ins spilled into the measured seconds: 40% of the requests, so each request needed more
    CPU than the tasks' weights give; the CPU fact then compares with that mix's."""
    calibrated = {
        "/async/sleep": call("delay", 0.8, SLEEP_MS),
        "/fast": call("loop", 0.1, FAST_MS),
        "POST /login": call("threads", 0.1, 150.0, cpu_ms=20.0),
    }
    prediction = predict(calibrated, 100, Server(workers=1, cores=1))
    signins = {"POST /login": figures_of(40), "/async/sleep": figures_of(50), "/fast": figures_of(10)}
    figures = measured(rps=prediction.predicted_rps * 0.3, cpu_ms=8.18, split=[100]).model_copy(
        update={"endpoints": signins}
    )
    assert record(prediction, figures).model.reason == (
        "measured 0.30x the prediction: the requests came in another mix than calibrated: 40% "
        "POST /login against 10%, so 8.18 ms of CPU a request as calibrated hot, against 2.27 (an "
        "on_start still running? a user class slowed more than another?)"
    )
    dearer = record(prediction, figures.model_copy(update={"server_cpu_ms_per_request": 16.36})).model.reason
    assert (
        "each request cost 2.0x the CPU calibrated hot (16.36 ms under load, 8.18 ms hot in that mix"
        in dearer
    )
    as_weighted = {"POST /login": figures_of(10), "/async/sleep": figures_of(80), "/fast": figures_of(10)}
    in_mix = figures.model_copy(update={"endpoints": as_weighted, "server_cpu_ms_per_request": 2.27})
    assert "another mix" not in record(prediction, in_mix).model.reason


def figures_of(requests: int) -> EndpointFigures:
    return EndpointFigures(
        requests=requests, failures=0, rps=requests / 5, mean_ms=None, p50_ms=None, p95_ms=None, p99_ms=None
    )


def test_the_bound_in_words():
    assert (
        explain.in_words(predict(sleep_mix("sync"), 100, Server(workers=1)))
        == "capped by 40 thread tokens: 444 rps"
    )
    two = predict(sleep_mix("async-blocking"), 100, Server(workers=2))
    assert (
        explain.in_words(two) == "capped by one event loop in each of 2 workers, blocked by each call: 22 rps"
    )


def test_even_split():
    assert even_split(100, 3) == [34, 33, 33]
    assert model.bounds_rps({}, [10], Server(workers=1)) == {"connections": 0.0}


THREAD_SHARE = 0.9 * SLEEP_MS / 1000 / CYCLE_S  # the share of a sync user's cycle holding a token: D/R


@pytest.mark.parametrize("tokens", [40, 100])
def test_the_curve_grows_with_users_until_the_knee_at_tokens_over_demand_then_flattens(tokens):
    inputs = predict(sleep_mix("sync"), 1, Server(workers=1, thread_tokens=tokens)).inputs
    knee = model.knee(inputs)
    assert (knee.bound, knee.servers) == ("threads", tokens)
    assert knee.share == pytest.approx(THREAD_SHARE)
    assert knee.users == pytest.approx(tokens / THREAD_SHARE)  # T / (D/R): just above T here
    users = [1, 10, int(knee.users), int(knee.users) + 1, 2 * tokens, 5 * tokens]
    curve = {n: m.predicted_rps for n, m in zip(users, model.curve(inputs, users), strict=True)}
    ceiling = tokens / (0.9 * SLEEP_MS / 1000)
    for n in users:
        expected = n / CYCLE_S if n <= knee.users else ceiling
        assert curve[n] == pytest.approx(expected, rel=QUEUED), n
    assert explain.knee_words(knee) == (
        f"knee {knee.users:,.0f} users = {tokens} thread tokens / 0.994 of a cycle holding one"
    )


def test_the_knee_is_where_the_lowest_station_saturates():
    blocking = model.knee(predict(sleep_mix("async-blocking"), 1, Server(workers=2)).inputs)
    assert (blocking.bound, blocking.servers) == ("loop", 2)  # one loop per worker
    assert blocking.users == pytest.approx(2 * CYCLE_S / ((0.9 * SLEEP_MS + 0.1 * FAST_MS) / 1000))
    costly = {n: e.model_copy(update={"cpu_ms_busy": 2.0}) for n, e in sleep_mix("async").items()}
    cpu = model.knee(predict(costly, 1, Server(workers=1, cores=1)).inputs)
    assert (cpu.bound, cpu.servers, cpu.users) == ("cpu", 1, pytest.approx(CYCLE_S / 0.002))
    only_users = {"/async/sleep": call("delay", 1.0, SLEEP_MS, cpu_ms=0.0)}
    assert model.knee(predict(only_users, 1, Server(workers=1)).inputs) is None


def test_the_predicted_latency_is_users_over_throughput():
    assert model.latency_ms(40, 400.0) == 100.0
    assert model.latency_ms(40, 0.0) is None
    assert model.latency_ms(40, 400.0, think=0.06) == 40.0  # less what each user spent thinking


THINK_MS = 400.0  # a locustfile's wait_time after each request


def test_users_who_think_send_over_their_round_trip_and_think_time_and_hold_nothing_meanwhile():
    thinking = {n: e.model_copy(update={"think_ms": THINK_MS}) for n, e in sleep_mix("sync").items()}
    assert model.think_s(thinking) == pytest.approx(THINK_MS / 1000)
    few = predict(thinking, 100, Server(workers=1))
    assert few.bound == "connections"  # 100 users, each out 91 ms in 491: 20 in flight, 40 tokens
    assert few.predicted_rps == pytest.approx(100 / (CYCLE_S + THINK_MS / 1000), rel=QUEUED)
    assert predict(thinking, 400, Server(workers=1)).bound == "threads"  # 74 in flight: the tokens bind
    knee = model.knee(few.inputs)
    assert knee.bound == "threads"  # 40 tokens / (0.09 s held of a 0.4906 s cycle)
    assert knee.users == pytest.approx(40 * (CYCLE_S + THINK_MS / 1000) / 0.09)
    assert model.wait_s(thinking) == pytest.approx(model.wait_s(sleep_mix("sync")) + THINK_MS / 1000)
