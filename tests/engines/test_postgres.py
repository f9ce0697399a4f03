"""The throwaway cluster: it starts, survives a crash, and a failure to start is one line, nothing left."""

import socket

import psutil
import psycopg
import pytest

from asyncgap.engines import lifeline, postgres
from asyncgap.engines.server import HOST, free_port


def test_cluster_answers_and_restarts_after_a_crash(tmp_path):
    with lifeline.scratch("asyncgap-test-pg-") as scratch, postgres.running(scratch / "pg") as cluster:
        with psycopg.connect(cluster.dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (x int)")
            conn.execute("INSERT INTO t VALUES (1)")
        pid = cluster.pid
        cluster.crash()
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        cluster.start()
        with psycopg.connect(cluster.dsn) as conn:
            assert conn.execute("SELECT x FROM t").fetchall() == [(1,)]  # committed, so replayed
        folder = cluster.folder
    assert not folder.exists()


def test_a_taken_port_is_one_line_and_leaves_no_cluster(tmp_path):
    with socket.socket() as holder:
        holder.bind((HOST, free_port()))
        holder.listen()
        port = holder.getsockname()[1]
        with lifeline.scratch("asyncgap-test-pg-") as scratch:
            with (
                pytest.raises(postgres.PostgresError, match=f"port {port}") as caught,
                postgres.running(scratch / "pg", port=port),
            ):
                pass
            assert not (scratch / "pg").exists()
    assert "\n" not in str(caught.value)


def test_missing_binaries_are_named(monkeypatch, tmp_path):
    monkeypatch.setattr(postgres, "DEBIAN_BIN", tmp_path / "none")
    monkeypatch.setenv("PATH", str(tmp_path))
    with (
        pytest.raises(postgres.PostgresError, match="PostgreSQL is not installed"),
        postgres.running(tmp_path / "pg"),
    ):
        pass
    assert not (tmp_path / "pg").exists()


def test_a_run_needing_postgres_without_it_is_one_line_exit_2_writing_nothing(monkeypatch, tmp_path, capsys):
    from asyncgap import cli as cli

    monkeypatch.setenv(postgres.BIN_ENV, str(tmp_path))
    monkeypatch.setattr(cli, "_check_ports", lambda *_: None)  # the ports are not what this checks
    out = tmp_path / "run"
    assert cli.main(["run", "--setups", "uvicorn-1w", "--scenarios", "db-pg", "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"error: {postgres.BIN_ENV}={tmp_path} holds no initdb and postgres\n"
    assert not out.exists()


def test_a_folder_too_deep_for_a_unix_socket_still_serves_tcp(tmp_path):
    deep = "d" * 60
    with lifeline.scratch("asyncgap-test-pg-") as scratch, postgres.running(scratch / deep / "pg") as cluster:
        assert cluster.socket_dir == ""
        with psycopg.connect(cluster.dsn) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
