"""One function builds a server's settings, for a run's cells, the ui and the bench alike."""

from pathlib import Path

from asyncgap.engines import server


def test_every_start_gets_a_fresh_metrics_folder_for_its_prometheus_and_watch_files(tmp_path):
    first, again = (server.environment(tmp_path, "uvicorn-1w") for _ in range(2))
    for env in (first, again):
        assert env["PROMETHEUS_MULTIPROC_DIR"] == env["ASYNCGAP_METRICS_DIR"]
        assert Path(env["ASYNCGAP_METRICS_DIR"]).parent == tmp_path
        assert Path(env["ASYNCGAP_METRICS_DIR"]).is_dir()
    assert first["ASYNCGAP_METRICS_DIR"] != again["ASYNCGAP_METRICS_DIR"]


def test_the_upstream_and_database_are_set_only_when_given(tmp_path):
    defaults = server.environment(tmp_path, "a")
    assert "ASYNCGAP_UPSTREAM_URL" not in defaults and "ASYNCGAP_DATABASE_URL" not in defaults
    given = server.environment(
        tmp_path, "b", upstream_url="http://127.0.0.1:8001", database_url=server.sqlite_in(tmp_path)
    )
    assert given["ASYNCGAP_UPSTREAM_URL"] == "http://127.0.0.1:8001"
    assert given["ASYNCGAP_DATABASE_URL"] == f"sqlite:///{tmp_path / 'asyncgap.db'}"
