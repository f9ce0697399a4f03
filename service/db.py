"""The SQLite file and the SQL every variant runs: written once, executed by sqlite3 or `databases`.

Every connection gets the busy timeout, so concurrent writers (4 workers, 40 threads each)
wait for the lock instead of failing; WAL mode (set once by the prestart step) lets readers
run beside the writer. Autocommit: each statement is its own transaction, so a returned
INSERT is committed.
"""

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import databases

from service.settings import Settings

SCHEMA = "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)"
LIST_NOTES = "SELECT id, text FROM notes ORDER BY id DESC LIMIT :limit"
INSERT_NOTE = "INSERT INTO notes (text) VALUES (:text)"
# Counts up to :n in a recursive CTE: real SQLite work (no table needed) that grows linearly with n.
COUNT_UP = (
    "WITH RECURSIVE up(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM up WHERE x < :n) "
    "SELECT count(*) AS steps, sum(x) AS total FROM up"
)


@dataclass(frozen=True)
class SqliteFile:
    path: Path
    busy_timeout_s: float

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A fresh blocking connection, closed on exit (used by `sync` and `async-blocking`)."""
        with closing(sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)) as conn:
            yield conn

    def database(self) -> databases.Database:
        """The `databases` handle (aiosqlite; one connection per query) used by `async`."""
        return databases.Database(f"sqlite:///{self.path}", timeout=self.busy_timeout_s)


@dataclass(frozen=True)
class SqliteStore:
    """service.store.Store on SQLite: sqlite3 blocking, `databases` + aiosqlite (a thread per
    connection, so each awaited query still hops to a thread) non-blocking."""

    file: SqliteFile
    database: databases.Database

    def list_notes(self, limit: int) -> list[tuple[int, str]]:
        with self.file.connect() as conn:
            return conn.execute(LIST_NOTES, {"limit": limit}).fetchall()

    def add_note(self, text: str) -> int:
        with self.file.connect() as conn:
            return conn.execute(INSERT_NOTE, {"text": text}).lastrowid

    can_wait = False  # in-process: there is no database server to wait in

    def count_up(self, n: int, wait_s: float = 0.0) -> tuple[int, int]:
        with self.file.connect() as conn:
            return conn.execute(COUNT_UP, {"n": n}).fetchone()

    async def list_notes_async(self, limit: int) -> list[tuple[int, str]]:
        rows = await self.database.fetch_all(LIST_NOTES, {"limit": limit})
        return [(row["id"], row["text"]) for row in rows]

    async def add_note_async(self, text: str) -> int:
        return await self.database.execute(INSERT_NOTE, {"text": text})

    async def count_up_async(self, n: int, wait_s: float = 0.0) -> tuple[int, int]:
        row = await self.database.fetch_one(COUNT_UP, {"n": n})
        return row["steps"], row["total"]

    async def ping(self) -> None:
        await self.database.fetch_val("SELECT 1")


def prepare_sqlite(config: Settings) -> None:
    """Idempotent: WAL mode and the notes table, in a `var/` folder created as needed."""
    config.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    with SqliteFile(config.sqlite_path, config.busy_timeout_s).connect() as conn:
        conn.execute("PRAGMA journal_mode=WAL").fetchone()
        conn.execute(SCHEMA)


@asynccontextmanager
async def opened_sqlite(config: Settings) -> AsyncIterator[SqliteStore]:
    """An unclosed aiosqlite connection keeps a non-daemon thread that holds the process at exit."""
    file = SqliteFile(config.sqlite_path, config.busy_timeout_s)
    database = file.database()
    await database.connect()
    try:
        yield SqliteStore(file, database)
    finally:
        await database.disconnect()
