"""/metrics: the exact names and labels the harness parses, counted by a cheap pure-ASGI middleware."""

import asyncio
import os
import time

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from service.metrics import route_labels
from service.probe import watch_event_loop

pytestmark = pytest.mark.anyio
WORKER = str(os.getpid())


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def requests_total(text: str, route: str, variant: str) -> float:
    labels = frozenset({"route": route, "variant": variant, "worker": WORKER}.items())
    return samples(text).get(("asyncgap_requests_total", labels), 0.0)


async def test_metrics_names_and_labels(client):
    await client.get("/fast")
    text = (await client.get("/metrics")).text
    names = {name for name, _ in samples(text)}
    assert {
        "asyncgap_requests_in_flight",
        "asyncgap_requests_total",
        "asyncgap_event_loop_lag_seconds",
        "asyncgap_thread_tokens_busy",
        "asyncgap_thread_tokens_total",
    } <= names
    values = samples(text)
    for gauge in ("asyncgap_event_loop_lag_seconds", "asyncgap_thread_tokens_busy"):
        assert (gauge, frozenset({("worker", WORKER)})) in values
    assert values["asyncgap_thread_tokens_total", frozenset({("worker", WORKER)})] == 40
    assert values["asyncgap_requests_in_flight", frozenset()] >= 1  # this very scrape


async def test_requests_counted_by_route_template_and_variant(client):
    before = (await client.get("/metrics")).text
    await client.get("/sync/sleep", params={"ms": 0})
    await client.get("/async-blocking/sleep", params={"ms": 0})
    await client.get("/async-blocking/sleep", params={"ms": 0})
    await client.get("/hello")
    await client.get("/no/such/path")
    after = (await client.get("/metrics")).text
    for route, variant, added in [
        ("/{variant}/sleep", "sync", 1),
        ("/{variant}/sleep", "async-blocking", 2),
        ("/{variant}/sleep", "async", 0),
        ("/hello", "none", 1),
        ("unmatched", "none", 1),
    ]:
        assert requests_total(after, route, variant) - requests_total(before, route, variant) == added


async def test_thread_tokens_come_from_settings(asgi_client, settings):
    async with asgi_client(settings.model_copy(update={"thread_tokens": 7})) as client:
        text = (await client.get("/metrics")).text
    assert samples(text)["asyncgap_thread_tokens_total", frozenset({("worker", WORKER)})] == 7


async def test_instrument_off_counts_nothing_but_metrics_answer(asgi_client, settings):
    async with asgi_client(settings.model_copy(update={"instrument": False})) as client:
        before = (await client.get("/metrics")).text
        await client.get("/fast")
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert requests_total(response.text, "/fast", "none") == requests_total(before, "/fast", "none")


def test_route_labels():
    assert route_labels("/sync/sleep") == ("/{variant}/sleep", "sync")
    assert route_labels("/async-blocking/notes") == ("/{variant}/notes", "async-blocking")
    assert route_labels("/notes/") == ("/notes/", "none")
    assert route_labels("/fast") == ("/fast", "none")
    assert route_labels(None) == ("unmatched", "none")


async def test_lag_probe_sees_a_blocked_loop_and_keeps_it_for_a_second():
    probe = asyncio.create_task(watch_event_loop())
    try:
        await asyncio.sleep(0.12)  # the probe is running
        time.sleep(0.5)  # block the loop, as an async-blocking endpoint would
        await asyncio.sleep(0.12)
        lag = REGISTRY.get_sample_value("asyncgap_event_loop_lag_seconds", {"worker": WORKER})
        assert 0.35 < lag < 2.0
        await asyncio.sleep(1.3)  # the one-second window has moved past the stall
        lag = REGISTRY.get_sample_value("asyncgap_event_loop_lag_seconds", {"worker": WORKER})
        assert lag < 0.3
    finally:
        probe.cancel()
