"""Under gunicorn with 4 workers: concurrent writers wait for SQLite's lock, none is lost or refused."""

import os
import signal
import sqlite3
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import httpx
import pytest

from asyncgap.core.variants import VARIANTS
from asyncgap.engines.server import free_port, serving, with_workers
from service.settings import Settings

pytestmark = pytest.mark.e2e

WORKERS = 4
POSTS = 400
THREADS = 50


def test_concurrent_posts_under_four_workers_lose_nothing(server_env, db_url, tmp_path, scrape):
    log = tmp_path / "gunicorn.log"
    with serving(
        "gunicorn-2w", port=free_port(), log_path=log, env=server_env, target=with_workers(WORKERS)
    ) as server:
        limits = httpx.Limits(max_connections=THREADS)
        with httpx.Client(base_url=server.url, timeout=60, limits=limits) as client:

            def post(i: int) -> int:
                variant = VARIANTS[i % len(VARIANTS)]
                return client.post(f"/{variant}/notes", json={"text": f"note {i}"}).status_code

            with ThreadPoolExecutor(THREADS) as pool:
                statuses = Counter(pool.map(post, range(POSTS)))

        deadline = time.monotonic() + 20
        while len(workers := scrape(server.url, "asyncgap_thread_tokens_total")) < WORKERS:
            assert time.monotonic() < deadline, f"/metrics shows workers {workers}"
            time.sleep(0.05)

        started = time.monotonic()
        os.kill(server.process.pid, signal.SIGTERM)  # the master; it stops its workers
        server.process.wait(timeout=10)
        assert time.monotonic() - started < 5.0

    with closing(sqlite3.connect(Settings(database_url=db_url).sqlite_path)) as conn:
        (rows,) = conn.execute("SELECT count(*) FROM notes").fetchone()
    assert statuses == {201: POSTS}, statuses
    assert rows == statuses[201]
    assert "Traceback" not in log.read_text()
