"""PostgreSQL behind service.store.Store: psycopg's pool blocking, asyncpg's pool non-blocking.

One SQL text per query serves both drivers: psycopg's RawCursor takes PostgreSQL's own `$1`
placeholders, as asyncpg does. Both connect in autocommit mode, so a returned INSERT is a
committed row (with the server's default fsync and synchronous_commit, a durable one).

- psycopg: one connection per thread that holds a token, so the pool's ceiling is the
  worker's thread tokens (a `sync` request never waits for a connection); `async-blocking`
  calls the same pool inline, on the loop.
- asyncpg speaks the protocol on the event loop, no thread involved: its pool's ceiling
  (ASYNCGAP_DB_POOL_SIZE) is how many queries a worker can have in flight, the `async`
  variant's `db` station. Both pools start with one connection and grow on demand.

While the server is down, asyncpg fails at once (connection refused); psycopg's pool would
hold a thread 30 s waiting for a connection and back off up to 5 minutes between attempts,
so both are cut to ASYNCGAP_DB_WAIT_S: a 503 in seconds, and a restarted server in use again
in seconds.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
import psycopg
from anyio import to_thread
from psycopg_pool import ConnectionPool

from service.settings import Settings

SCHEMA = "CREATE TABLE IF NOT EXISTS notes (id bigserial PRIMARY KEY, text text NOT NULL)"
LIST_NOTES = "SELECT id, text FROM notes ORDER BY id DESC LIMIT $1"
INSERT_NOTE = "INSERT INTO notes (text) VALUES ($1) RETURNING id"
# The SQLite scenario's recursive CTE, run by PostgreSQL: work that grows linearly with n.
COUNT_UP = (
    "WITH RECURSIVE up(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM up WHERE x < $1) "
    "SELECT count(*) AS steps, sum(x) AS total FROM up"
)
# The same, after waiting $2 seconds inside the database: a query whose latency is the database
# server's, not the service's CPU (a networked database, a lock, a slow plan), as pg_sleep gives.
COUNT_UP_AFTER = COUNT_UP + ", (SELECT pg_sleep($2)) AS waited"
OPEN_TIMEOUT_S = 10.0


def _connect_options() -> dict:
    return {"autocommit": True, "cursor_factory": psycopg.RawCursor}


@dataclass(frozen=True)
class PostgresStore:
    pool: ConnectionPool
    async_pool: asyncpg.Pool

    def list_notes(self, limit: int) -> list[tuple[int, str]]:
        with self.pool.connection() as conn:
            return conn.execute(LIST_NOTES, (limit,)).fetchall()

    def add_note(self, text: str) -> int:
        with self.pool.connection() as conn:
            return conn.execute(INSERT_NOTE, (text,)).fetchone()[0]

    can_wait = True

    def count_up(self, n: int, wait_s: float = 0.0) -> tuple[int, int]:
        with self.pool.connection() as conn:
            return conn.execute(COUNT_UP_AFTER, (n, wait_s)).fetchone()

    async def list_notes_async(self, limit: int) -> list[tuple[int, str]]:
        return [tuple(row) for row in await self.async_pool.fetch(LIST_NOTES, limit)]

    async def add_note_async(self, text: str) -> int:
        return await self.async_pool.fetchval(INSERT_NOTE, text)

    async def count_up_async(self, n: int, wait_s: float = 0.0) -> tuple[int, int]:
        return tuple(await self.async_pool.fetchrow(COUNT_UP_AFTER, n, wait_s))

    async def ping(self) -> None:
        await self.async_pool.fetchval("SELECT 1")


def prepare_postgres(config: Settings) -> None:
    """Idempotent: the notes table."""
    with psycopg.connect(config.database_url, autocommit=True) as conn:
        conn.execute(SCHEMA)


@asynccontextmanager
async def opened_postgres(config: Settings) -> AsyncIterator[PostgresStore]:
    pool = ConnectionPool(
        config.database_url,
        min_size=1,
        max_size=config.thread_tokens,
        kwargs=_connect_options(),
        timeout=config.db_wait_s,
        reconnect_timeout=config.db_wait_s,
        open=False,
    )
    await to_thread.run_sync(lambda: pool.open(wait=True, timeout=OPEN_TIMEOUT_S))
    try:
        async with asyncpg.create_pool(config.database_url, min_size=1, max_size=config.db_pool_size) as ap:
            yield PostgresStore(pool, ap)
    finally:
        await to_thread.run_sync(pool.close)
