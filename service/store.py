"""The database work every variant does, behind one interface with a blocking and a non-blocking
form of each query; the backend is chosen by ASYNCGAP_DATABASE_URL (sqlite:/// or postgresql://).

Routes call `store.list_notes(...)` from `sync` and `async-blocking` and await
`store.list_notes_async(...)` from `async`, whichever database is behind it: the backend
decides only what the two forms are (service/db.py: sqlite3 / databases + aiosqlite;
service/pg.py: psycopg's pool / asyncpg's pool).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from service.settings import Settings


class Store(Protocol):
    def list_notes(self, limit: int) -> list[tuple[int, str]]:
        """The newest `limit` notes as (id, text), newest first."""

    def add_note(self, text: str) -> int:
        """Insert a note; the id is returned only once the row is committed."""

    can_wait: bool  # whether the database can wait inside a query (a server can; SQLite cannot)

    def count_up(self, n: int, wait_s: float = 0.0) -> tuple[int, int]:
        """(steps, total) of a recursive query counting up to n: database work that grows with n;
        after waiting wait_s inside the database (only where can_wait)."""

    async def list_notes_async(self, limit: int) -> list[tuple[int, str]]: ...

    async def add_note_async(self, text: str) -> int: ...

    async def count_up_async(self, n: int, wait_s: float = 0.0) -> tuple[int, int]: ...

    async def ping(self) -> None:
        """A round trip to the database (a fault raises)."""


@asynccontextmanager
async def opened_store(config: Settings) -> AsyncIterator[Store]:
    """The configured backend's store, its connections closed on exit."""
    if config.backend == "postgres":
        from service.pg import opened_postgres

        async with opened_postgres(config) as store:
            yield store
    else:
        from service.db import opened_sqlite

        async with opened_sqlite(config) as store:
            yield store
