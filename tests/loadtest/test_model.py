"""The model's predictions against hand-derived values (Little's law, closed loop)."""

import pytest

from core.names import endpoint_key
from loadtest.model import Endpoint, Server, even_split, predict_rps, shares, station

SLEEP_S, FAST_S = 0.1, 0.0005


def sleep_mix(variant: str) -> list[Endpoint]:
    """The sleep scenario: 9 slow calls to 1 /fast probe."""
    return [Endpoint(f"/{variant}/sleep", 0.9, SLEEP_S), Endpoint("/fast", 0.1, FAST_S)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("/sync/sleep", "threads"),
        ("/sync/cpu", "threads"),
        ("/async/sleep", "delay"),
        ("/async/upstream", "delay"),
        ("/async/cpu", "pool"),
        ("/async-blocking/notes", "loop"),
        ("/fast", "loop"),
        ("/hello", "loop"),
        ("/slow-blocking", "threads"),
        ("/slow-non-blocking", "delay"),
        ("/call-other-api", "delay"),
    ],
)
def test_station_follows_how_the_work_is_called(name, expected):
    assert station(name) == expected


def test_sync_is_capped_by_thread_tokens():
    # 40 tokens, 0.9 x 100 ms of token time per request: 40 / 0.09 = 444 rps (400 of them slow).
    assert predict_rps(sleep_mix("sync"), 100, Server(workers=1)) == pytest.approx(40 / 0.09)


def test_sync_below_the_token_count_is_littles_law():
    rps = predict_rps(sleep_mix("sync"), 10, Server(workers=1))
    assert rps == pytest.approx(10 / (0.9 * SLEEP_S + 0.1 * FAST_S))


def test_async_blocking_is_capped_by_one_loop_per_worker():
    loop_demand = 0.9 * SLEEP_S + 0.1 * FAST_S
    assert predict_rps(sleep_mix("async-blocking"), 100, Server(workers=1)) == pytest.approx(1 / loop_demand)
    assert predict_rps(sleep_mix("async-blocking"), 100, Server(workers=2)) == pytest.approx(2 / loop_demand)


def test_async_is_littles_law_until_cpu_binds():
    cycle = 0.9 * SLEEP_S + 0.1 * FAST_S
    assert predict_rps(sleep_mix("async"), 100, Server(workers=1)) == pytest.approx(100 / cycle)
    capped = predict_rps(sleep_mix("async"), 100, Server(workers=1, cores=1), cpu_s_per_request=0.002)
    assert capped == pytest.approx(500)


def test_uneven_connection_split_lowers_the_sync_ceiling():
    # 88 connections on one worker saturate its 40 tokens; 12 on the other cannot.
    even = predict_rps(sleep_mix("sync"), 100, Server(workers=2))
    uneven = predict_rps(sleep_mix("sync"), 100, Server(workers=2), connections=[88, 12])
    cycle = 0.9 * SLEEP_S + 0.1 * FAST_S
    assert even == pytest.approx(2 * 40 / 0.09)
    assert uneven == pytest.approx(40 / 0.09 + 12 / cycle)
    assert uneven < even


def test_ordering_matches_the_story():
    server = Server(workers=1)
    rps = {v: predict_rps(sleep_mix(v), 100, server) for v in ("sync", "async", "async-blocking")}
    assert rps["async"] > 2 * rps["sync"] > 20 * rps["async-blocking"]


def test_helpers():
    assert even_split(100, 3) == [34, 33, 33]
    assert shares({"/a": 3, "/b": 1}) == {"/a": 0.75, "/b": 0.25}
    assert shares({}) == {}
    assert predict_rps([], 10, Server(workers=1)) == 0.0


def test_endpoint_keys_keep_methods_apart_and_stations_read_through_them():
    assert endpoint_key("GET", "/sync/notes") == "/sync/notes"
    assert endpoint_key("POST", "/sync/notes") == "POST /sync/notes"
    assert station("POST /sync/notes") == "threads"
    assert station("POST /async/notes") == "delay"
