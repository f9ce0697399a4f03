"""The SQLite file and the SQL every variant runs: written once, executed by sqlite3 or `databases`.

Every connection gets the busy timeout, so concurrent writers (4 workers, 40 threads each)
wait for the lock instead of failing; WAL mode (set once by the prestart step) lets readers
run beside the writer. Autocommit: each statement is its own transaction, so a returned
INSERT is committed.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import databases

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
