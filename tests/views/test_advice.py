"""Advice sentences from synthetic records: every figure in a sentence is one of the run's."""

import pytest

from asyncgap.cell import model
from asyncgap.core.ownapp import AppFindings, RouteShape, Step
from asyncgap.core.prediction import EndpointCalibration
from asyncgap.core.records import BlockingSite, CellResult, EndpointFigures, Level, RunSummary
from asyncgap.views import advice, advice_page

USERS = [2, 4, 10, 20]
FILE = "app/main.py"


def calibration(station: str, service_ms: float, hops: int) -> EndpointCalibration:
    return EndpointCalibration(
        method="GET",
        station=station,
        share=0.5,
        round_trip_ms=service_ms + 0.5,
        service_ms=service_ms,
        cpu_ms_alone=0.5,
        cpu_ms_busy=0.5,
        hops=hops,
    )


ENDPOINTS = {"/pooled": calibration("threads", 20.0, 4), "/login": calibration("delay", 14.0, 0)}
ROUTES = {
    "/pooled": RouteShape(
        method="GET",
        path="/pooled",
        handler=f"{FILE}:30 app.main.pooled",
        runs="threads",
        station="threads",
        hops=4,
        teardown_threads=1,
        steps=[
            Step(call="app.main.connection", where="threads", role="setup", site=f"{FILE}:20"),
            Step(call="app.main.settings", where="threads", role="dependency", site=f"{FILE}:15"),
            Step(call="app.main.pooled", where="threads", role="handler", site=f"{FILE}:30"),
            Step(call="app.main.pooled", where="threads", role="response", site=f"{FILE}:30"),
            Step(call="app.main.connection", where="thread", role="teardown", site=f"{FILE}:20"),
        ],
    ),
    "/login": RouteShape(
        method="GET",
        path="/login",
        handler=f"{FILE}:40 app.main.login",
        runs="loop",
        station="delay",
        hops=0,
        steps=[Step(call="app.main.login", where="loop", role="handler", site=f"{FILE}:40")],
    ),
}


def level(users: int, pooled_in_flight: float, login_rps: float) -> Level:
    """A level where /pooled is held to 5 calls of 20.5 ms (245 rps) and /login rises."""
    pooled_rps = min(pooled_in_flight, 5) / 0.0205
    return Level(
        users=users,
        rps=pooled_rps + login_rps,
        predicted_rps=2 * users / 0.0175,
        endpoints={
            "/pooled": figures(pooled_rps, 1000 * pooled_in_flight / pooled_rps),
            "/login": figures(login_rps, 14.5),
        },
    )


def figures(rps: float, mean_ms: float) -> EndpointFigures:
    return EndpointFigures(
        requests=1, failures=0, rps=rps, mean_ms=mean_ms, p50_ms=None, p95_ms=None, p99_ms=None
    )


def cell(threads_share: float = 0.75) -> CellResult:
    levels = [level(n, n / 2, n / 2 / 0.0145) for n in USERS]
    prediction = model.predict(ENDPOINTS, USERS[-1], model.Server(workers=1, cores=1))
    return CellResult(
        setup="uvicorn-1w",
        scenario="traffic",
        variant="as-written",
        users=USERS[-1],
        status="ok",
        model=prediction,
        levels=levels,
        threads_busy_mean=10.0,
        threads=[
            BlockingSite(
                site=f"{FILE}:22 connection",
                callee="threading.Semaphore.acquire",
                blocked_s=3,
                share=threads_share,
            ),
            BlockingSite(site=f"{FILE}:31 pooled", callee="time.sleep", blocked_s=1, share=0.25),
        ],
        loop_blocked_share=0.4,
        blocking=[BlockingSite(site=f"{FILE}:41 login", callee="hashlib.scrypt", blocked_s=2, share=1.0)],
    )


def app() -> AppFindings:
    return AppFindings(target="app.main:app", traffic="locustfile", locustfile="x", routes=ROUTES)


def built(one: CellResult):
    summary = RunSummary(
        cells=[one],
        app=AppFindings(target="app.main:app", traffic="locustfile", locustfile="x", routes=ROUTES),
    )
    found = advice.build(summary)
    assert found is not None
    (cell_advice,) = found.cells
    return cell_advice, {route.endpoint: route for route in cell_advice.routes}


def test_the_capped_route_flattens_near_its_pool_and_the_wait_is_named_in_its_file():
    _, routes = built(cell())
    pooled = routes["/pooled"]
    assert pooled.hops == 4 and pooled.station == "threads"
    assert pooled.knee.measured == pytest.approx(5.0, abs=0.3)
    assert pooled.knee.model == pytest.approx(40 * 20.5 / 20.0, abs=0.1)
    text = " ".join(pooled.sentences)
    assert "8 of 10 busy threads were in threading.Semaphore.acquire ← app/main.py:22 connection" in text
    assert "about 2 of its requests held it at once while 8 waited" in text  # 10 busy, 7.5 waiting
    assert "4 thread-pool hop(s)" in text and "connection (setup)" in text
    assert "past 42 requests in flight on one worker, all its 40 tokens can wait" in text  # tokens + holders


def test_the_limiter_sentence_follows_the_samples():
    _, routes = built(cell(threads_share=0.5))
    assert "5 of 10 busy threads were in threading.Semaphore.acquire" in " ".join(routes["/pooled"].sentences)


def test_a_waiting_state_is_said_when_the_samples_carry_one():
    one = cell()
    one.threads[0] = one.threads[0].model_copy(update={"state": "waiting"})
    _, routes = built(one)
    assert "8 of 10 busy threads waited in" in " ".join(routes["/pooled"].sentences)


def test_the_loop_blocking_route_is_told_to_leave_the_loop_with_the_models_figures():
    one = cell()
    _, routes = built(one)
    login = routes["/login"]
    text = " ".join(login.sentences)
    assert login.loop_site is not None and "40% of the time in hashlib.scrypt ← app/main.py:41 login" in text
    assert "Make it `def`, or await hashlib.scrypt in a thread" in text
    assert f"against {one.model.predicted_rps:,.0f} rps (bound: {one.model.bound})" in text


def test_a_rising_route_has_no_knee_and_no_limiter():
    one = cell()
    one.blocking = []  # nothing blocked the loop: /login only rises
    _, routes = built(one)
    login = routes["/login"]
    assert login.knee.measured is None and login.knee.model is None
    text = " ".join(login.sentences)
    assert "Its rate rose from" in text and "over the sweep" in text and "flattens" not in text
    assert "none of the loop's blocked time (40% of the time) was in its code" in text


def test_the_page_and_the_file_say_the_same():
    one = cell()
    summary = RunSummary(
        cells=[one],
        app=AppFindings(target="app.main:app", traffic="locustfile", locustfile="x", routes=ROUTES),
    )
    page = advice_page.section(advice.build(summary))
    for sentence in built(one)[1]["/pooled"].sentences:
        assert sentence.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
            "'", "&#x27;"
        ) in page.replace("&quot;", '"')


def test_a_run_without_a_sweep_says_so_and_the_demo_has_no_advice():
    one = cell().model_copy(update={"levels": []})
    found = advice.build(
        RunSummary(cells=[one], app=AppFindings(target="a:b", traffic="openapi", locustfile="x"))
    )
    assert found is not None and not found.cells and "--users as a list" in found.missing
    assert advice.build(RunSummary(cells=[one])) is None


def test_the_console_says_the_limiters_only():
    one = cell()
    summary = RunSummary(
        cells=[one],
        app=AppFindings(target="app.main:app", traffic="locustfile", locustfile="x", routes=ROUTES),
    )
    (line,) = advice_page.limiters(advice.build(summary))
    assert line.startswith("uvicorn-1w /pooled: It flattens at 5.0 in flight, not at 41 (40 thread tokens)")
    assert advice_page.limiters(None) == []


def test_the_wait_is_found_at_the_requests_entrance_even_when_the_work_holds_more_threads():
    """Past a limit, requests queue before the work it guards: the earlier step is the wait."""
    one = cell(threads_share=0.45)
    one.threads[1] = one.threads[1].model_copy(update={"share": 0.55})
    one.threads.reverse()  # largest first, as recorded
    _, routes = built(one)
    pooled = routes["/pooled"]
    assert pooled.thread_site is not None and pooled.thread_site.callee == "threading.Semaphore.acquire"
    text = " ".join(pooled.sentences)
    assert "4 of 10 busy threads were in threading.Semaphore.acquire ← app/main.py:22 connection" in text
    assert "(and 6 in time.sleep ← app/main.py:31 pooled)" in text


def test_a_route_that_waited_as_long_as_the_others_follows_the_whole_server():
    """Every route waiting alike is the shared CPU or loop, not the route's own limit."""
    one = cell()
    last = one.levels[-1]
    pooled_wait = last.endpoints["/pooled"].mean_ms - ENDPOINTS["/pooled"].round_trip_ms
    slow_login = figures(last.endpoints["/login"].rps, ENDPOINTS["/login"].round_trip_ms + pooled_wait)
    last.endpoints["/login"] = slow_login
    _, routes = built(one)
    pooled = routes["/pooled"]
    assert not pooled.own_queue and pooled.queued_ms == pytest.approx(pooled_wait, abs=0.1)
    text = " ".join(pooled.sentences)
    assert "Its rate follows the whole server's" in text
    assert "busy threads were in" not in text and "The limit is what" not in text
    assert advice_page.limiters(advice.build(RunSummary(cells=[one], app=app()))) == []


def test_a_call_in_a_helper_is_tied_to_the_route_whose_handler_made_it():
    """The hash runs in a helper outside the route's steps; the watchdog saw the route's handler
    above it for 80% of its time, so the route holds the loop 0.4 x 0.8 of the time."""
    one = cell()
    one.blocking = [
        BlockingSite(
            site="app/security.py:12 verify_password",
            callee="passlib.context.CryptContext.verify",
            blocked_s=2,
            share=1.0,
            callers={"app/users.py check_password": 1.0, f"{FILE} login": 0.8},
        )
    ]
    _, routes = built(one)
    login, pooled = routes["/login"], routes["/pooled"]
    assert login.loop_site is not None and login.loop_site.share == 0.8 and pooled.loop_site is None
    text = " ".join(login.sentences)
    assert "it blocked the event loop 32% of the time in passlib.context.CryptContext.verify" in text
    assert "Make it `def`, or await passlib.context.CryptContext.verify in a thread" in text


def test_a_falling_route_is_said_to_fall():
    """A curve that neither flattened nor rose: its rate fell as users were added."""
    one = cell()
    for lv in one.levels:
        lv.endpoints["/login"] = figures(200 / lv.users, 14.5)
    _, routes = built(one)
    text = " ".join(routes["/login"].sentences)
    assert "Its rate fell from 100 to 10 rps over the sweep" in text and "rose" not in text


def test_the_traffics_only_route_follows_the_whole_server():
    """With no other route to be told from, a route's wait is the server's: no limit of its own."""
    alone = {"/pooled": ENDPOINTS["/pooled"]}
    one = cell().model_copy(
        update={"model": model.predict(alone, USERS[-1], model.Server(workers=1, cores=1))}
    )
    for lv in one.levels:
        del lv.endpoints["/login"]
    _, routes = built(one)
    pooled = routes["/pooled"]
    assert list(routes) == ["/pooled"] and not pooled.own_queue
    text = " ".join(pooled.sentences)
    assert "Its rate follows the whole server's" in text and "as the traffic's only route" in text
    assert "busy threads were in" not in text
    assert advice_page.limiters(advice.build(RunSummary(cells=[one], app=app()))) == []


def costly_pooled(login_runs: str) -> tuple[CellResult, AppFindings]:
    """/pooled costs 50 times /login's CPU and waited 2.5 times as long; /login runs in `login_runs`."""
    heavy = {**ENDPOINTS, "/pooled": ENDPOINTS["/pooled"].model_copy(update={"cpu_ms_busy": 25.0})}
    one = cell().model_copy(
        update={"model": model.predict(heavy, USERS[-1], model.Server(workers=1, cores=1))}
    )
    last = one.levels[-1]
    pooled_wait = last.endpoints["/pooled"].mean_ms - ENDPOINTS["/pooled"].round_trip_ms
    login_wait = pooled_wait / 2.5  # more than twice as long for /pooled, but 20 times less per ms of CPU
    last.endpoints["/login"] = figures(
        last.endpoints["/login"].rps, ENDPOINTS["/login"].round_trip_ms + login_wait
    )
    login = ROUTES["/login"].model_copy(update={"runs": login_runs})
    return one, app().model_copy(update={"routes": {**ROUTES, "/login": login}})


def pooled_advice(one: CellResult, findings: AppFindings):
    found = advice.build(RunSummary(cells=[one], app=findings))
    assert found is not None
    (cell_advice,) = found.cells
    return next(r for r in cell_advice.routes if r.endpoint == "/pooled"), found


def test_a_thread_route_that_waited_longer_in_proportion_to_its_cpu_follows_the_whole_server():
    """Threads time-slice the one CPU: a request that costs 50 times the CPU (a password hash)
    waits far longer in the same queue as another thread route's, which is not a limit of its own."""
    pooled, found = pooled_advice(*costly_pooled("threads"))
    assert not pooled.own_queue
    assert "Its rate follows the whole server's" in " ".join(pooled.sentences)
    assert advice_page.limiters(found) == []


def test_a_loop_routes_wait_is_not_counted_per_ms_of_cpu():
    """A route on the loop waits for the loop, not for a turn on the CPU in proportion to its
    cost: against it the plain comparison decides, and /pooled queued for its own pool."""
    pooled, found = pooled_advice(*costly_pooled("loop"))
    assert pooled.own_queue
    assert len(advice_page.limiters(found)) == 1


def test_a_site_that_held_almost_no_thread_is_not_named_as_the_limit():
    """0.4% of 10 busy threads is no queue: the route's flattening is left unexplained by it."""
    one = cell()
    one.threads = [site.model_copy(update={"share": 0.004}) for site in one.threads]
    _, routes = built(one)
    pooled = routes["/pooled"]
    assert pooled.thread_site is None
    text = " ".join(pooled.sentences)
    assert "busy threads were in" not in text and "The limit is what" not in text


def test_when_the_cpu_binds_the_server_the_route_that_spends_it_is_named():
    """A password hash of 200 ms in one request of seven is 89% of an average request's CPU."""
    costly = {
        "/login": ENDPOINTS["/login"].model_copy(update={"share": 1 / 7, "cpu_ms_busy": 200.0}),
        "/pooled": ENDPOINTS["/pooled"].model_copy(update={"share": 6 / 7, "cpu_ms_busy": 4.0}),
    }
    one = cell().model_copy(
        update={"model": model.predict(costly, USERS[-1], model.Server(workers=1, cores=1))}
    )
    assert one.model.bound == "cpu"
    server, _ = built(one)
    assert server.sentences[-1] == (
        "The CPU binds: an average request costs 32.0 ms of it, 89% of that in /login "
        "(200.0 ms a call, 14% of the requests)."
    )


def test_when_the_cpu_does_not_bind_no_route_is_said_to_spend_it():
    server, _ = built(cell())
    assert cell().model.bound != "cpu"
    assert not any(sentence.startswith("The CPU binds") for sentence in server.sentences)
