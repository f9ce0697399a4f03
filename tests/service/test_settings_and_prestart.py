"""Settings come from ASYNCGAP_* variables; the prestart step creates the schema once, in WAL mode."""

import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest
from pydantic import ValidationError

from service.prestart import prepare
from service.settings import Settings
from tests.paths import ROOT


def test_defaults(monkeypatch):
    for name in ("DATABASE_URL", "UPSTREAM_URL", "THREAD_TOKENS", "CREATE_SCHEMA", "INSTRUMENT"):
        monkeypatch.delenv(f"ASYNCGAP_{name}", raising=False)
    config = Settings()
    assert config.sqlite_path == ROOT / "var" / "asyncgap.db"
    assert config.upstream_url == "http://127.0.0.1:8001"
    assert config.thread_tokens == 40
    assert config.create_schema and config.instrument
    assert config.upstream_timeout_s > 60  # above the longest /delay


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("ASYNCGAP_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("ASYNCGAP_THREAD_TOKENS", "8")
    monkeypatch.setenv("ASYNCGAP_INSTRUMENT", "false")
    config = Settings()
    assert (config.sqlite_path, config.thread_tokens, config.instrument) == (tmp_path / "x.db", 8, False)


@pytest.mark.parametrize("url", ["mysql://db/notes", "sqlite://", "notes.db", "postgresql://db"])
def test_only_sqlite_files_or_postgres_databases(url):
    with pytest.raises(ValidationError, match="sqlite"):
        Settings(database_url=url)


def test_prepare_creates_folder_wal_and_table_idempotently(tmp_path):
    config = Settings(database_url=f"sqlite:///{tmp_path}/var/asyncgap.db")
    prepare(config)
    prepare(config)
    with closing(sqlite3.connect(config.sqlite_path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("SELECT count(*) FROM notes").fetchone() == (0,)


def test_prestart_module_runs_from_the_environment(tmp_path):
    db = tmp_path / "prestart.db"
    env = {"ASYNCGAP_DATABASE_URL": f"sqlite:///{db}", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "service.prestart"], cwd=ROOT, env=env, check=True, timeout=30)
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
