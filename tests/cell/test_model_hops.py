"""Thread-pool hops in the model: a request holding tokens in turn, and a route's own knee."""

import pytest

from asyncgap.cell import model
from asyncgap.cell.model import Server, predict
from asyncgap.core.prediction import EndpointCalibration, ModelInputs


def call(station: str, service_ms: float, hops: int | None, share: float = 0.5) -> EndpointCalibration:
    return EndpointCalibration(
        method="GET",
        station=station,
        share=share,
        service_ms=service_ms,
        round_trip_ms=service_ms + 0.5,
        cpu_ms_alone=0.1,
        cpu_ms_busy=0.1,
        hops=hops,
    )


def test_an_async_handler_behind_def_dependencies_holds_tokens_on_its_hops():
    """Its station (`delay`) holds nothing, yet each hop takes a token: the threads bound counts it."""
    unknown = {"/a": call("delay", 20.0, None, share=1.0)}
    hopping = {"/a": call("delay", 20.0, 2, share=1.0)}
    assert "threads" not in predict(unknown, 100, Server(workers=1)).bounds_rps
    got = predict(hopping, 100, Server(workers=1, thread_tokens=10))
    assert got.bounds_rps["threads"] == pytest.approx(
        10 / 0.020, rel=1e-3
    )  # a hair: tokens wait for the core
    assert got.bound == "threads"


def test_a_def_handler_with_several_hops_holds_one_token_at_a_time_for_its_service():
    """Four hops in turn are not four tokens at once: the token time is the service time. Each
    hop's token goes back through the loop, so four wait for a busy core four times."""
    one, four = ({"/p": call("threads", 20.0, hops, share=1.0)} for hops in (1, 4))
    bounds = [predict(e, 100, Server(workers=1)).bounds_rps["threads"] for e in (one, four)]
    assert bounds[1] < bounds[0] == pytest.approx(40 / 0.020, rel=2e-3)  # a hair: tokens wait for the core
    assert bounds[1] == pytest.approx(40 / 0.020, rel=1e-2)


def ten_users(endpoints: dict[str, EndpointCalibration], workers: int) -> ModelInputs:
    """10 users split evenly over the workers, 40 tokens each, on 2 cores."""
    return ModelInputs(
        users=10,
        workers=workers,
        thread_tokens=40,
        pool_processes=1,
        cores=2,
        connections=[10 // workers] * workers,
        endpoints=endpoints,
    )


def test_a_routes_own_knee_counts_its_station_and_its_hops():
    endpoints = {
        "/pooled": call("threads", 20.0, 4),
        "/ready": call("delay", 20.0, 0),
        "/summary": call("delay", 0.5, 1),
    }
    inputs = ten_users(endpoints, workers=2)
    pooled = model.route_knee(inputs, "/pooled")
    assert pooled is not None and pooled.bound == "threads" and pooled.servers == 80
    assert pooled.users == pytest.approx(80 * 20.5 / 20.0)  # every token of both workers, over its share
    assert model.route_knee(inputs, "/ready") is None  # holds nothing the server has few of
    summary = model.route_knee(inputs, "/summary")
    assert summary is not None and summary.bound == "threads"


def test_a_route_holds_a_token_no_longer_than_its_round_trip():
    """Calibration's service time can exceed the round trip the client timed (the service's own
    clock, or the token time stood in for by the service): the hold is capped at the round trip,
    so a route that holds a token all along has the tokens themselves as its knee, never fewer."""
    inputs = ten_users(
        {"/tags": call("delay", 20.0, 2).model_copy(update={"round_trip_ms": 17.2})}, workers=1
    )
    tags = model.route_knee(inputs, "/tags")
    assert tags is not None and (tags.bound, tags.servers, tags.share) == ("threads", 40, 1.0)
    assert tags.users == pytest.approx(40)
