"""The model with a database: its pool as a station, its server's CPU in the demand (hand-derived)."""

import pytest

from asyncgap.cell import explain
from asyncgap.cell.model import Server, knee, predict, recompute
from asyncgap.core.prediction import EndpointCalibration, ModelInputs

QUERY_MS, OUTSIDE_MS = 50.0, 0.5


def query(station: str, *, cpu_ms: float = 0.5, db_cpu_ms: float = 0.0) -> EndpointCalibration:
    return EndpointCalibration(
        method="GET",
        station=station,
        share=1.0,
        service_ms=QUERY_MS,
        round_trip_ms=QUERY_MS + OUTSIDE_MS,
        cpu_ms_alone=cpu_ms,
        cpu_ms_busy=cpu_ms,
        db_cpu_ms=db_cpu_ms,
    )


def test_the_async_pool_caps_awaited_queries_at_its_size_per_worker():
    got = predict({"/async/query": query("db")}, 100, Server(workers=2, db_connections=10))
    assert got.bound == "db"
    assert got.predicted_rps == pytest.approx(2 * 10 / 0.05)  # 2 workers x 10 connections / 50 ms
    assert got.inputs.db_connections == 10


def test_a_driver_with_no_pool_puts_no_ceiling_on_awaited_queries():
    got = predict({"/async/query": query("db")}, 100, Server(workers=1))  # SQLite through `databases`
    assert "db" not in got.bounds_rps
    assert got.bound == "connections"


def test_the_database_cpu_shares_the_servers_cores():
    alone = predict({"/async/query": query("db", cpu_ms=0.5)}, 100, Server(workers=1, db_connections=100))
    with_db = predict(
        {"/async/query": query("db", cpu_ms=0.5, db_cpu_ms=1.5)}, 100, Server(workers=1, db_connections=100)
    )
    assert alone.bounds_rps["cpu"] == pytest.approx(1 / 0.0005)
    assert with_db.bounds_rps["cpu"] == pytest.approx(1 / 0.002)  # 0.5 ms + 1.5 ms on one core
    assert (alone.bound, with_db.bound) == ("connections", "cpu")  # 100 users / 50.5 ms = 1980 rps
    assert "in the database" in explain.in_words(
        predict({"/async/query": query("db", db_cpu_ms=9.5)}, 100, Server(workers=1, db_connections=100))
    )


def test_a_second_core_serves_the_database_beside_one_workers_gil():
    got = predict(
        {"/q": query("db", cpu_ms=1.0, db_cpu_ms=1.0)}, 1000, Server(workers=1, cores=2, db_connections=1000)
    )
    assert got.bounds_rps["cpu"] == pytest.approx(1000)  # the worker's one core binds, not 2 cores / 2 ms


def test_recomputed_from_the_record_and_older_records_load():
    got = predict({"/async/query": query("db")}, 100, Server(workers=1, db_connections=10))
    assert recompute(got.inputs) == got
    old = got.inputs.model_dump(exclude={"db_connections"})
    for endpoint in old["endpoints"].values():
        del endpoint["db_cpu_ms"]
    assert ModelInputs.model_validate(old).db_connections is None


def test_the_knee_of_a_pool():
    got = predict({"/async/query": query("db")}, 100, Server(workers=1, db_connections=10))
    found = knee(got.inputs)
    assert (found.bound, found.servers) == ("db", 10)
    assert found.users == pytest.approx(10 / (QUERY_MS / (QUERY_MS + OUTSIDE_MS)))
    assert "database connections" in explain.knee_words(found)


def test_the_cpu_bound_counts_the_database_cpu_of_a_busy_database():
    waiting = query("db", cpu_ms=0.5, db_cpu_ms=1.5).model_copy(update={"db_cpu_ms_busy": 0.5})
    got = predict({"/async/query": waiting}, 100, Server(workers=1, db_connections=100))
    assert got.bounds_rps["cpu"] == pytest.approx(1000)  # 1 core / (0.5 + 0.5) ms, not / (0.5 + 1.5) ms
    assert "+ 0.50 ms in the database" in explain.in_words(got)


def test_a_record_without_the_busy_database_cpu_predicts_from_its_cpu_alone():
    alone = query("db", cpu_ms=0.5, db_cpu_ms=1.5)
    got = predict({"/async/query": alone}, 100, Server(workers=1, db_connections=100))
    assert got.inputs.endpoints["/async/query"].db_cpu_ms_busy is None
    assert got.bounds_rps["cpu"] == pytest.approx(500)  # 1 core / (0.5 + 1.5) ms
