"""`/{variant}/notes`: read and write SQLite (sqlite3 / databases + aiosqlite / sqlite3 inline).

A 201 is sent only after the autocommit INSERT returned, i.e. once the row is committed.
"""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from service.db import INSERT_NOTE, LIST_NOTES
from service.deps import DatabaseDep, SqliteDep
from service.variant_routes import add_variant_routes

router = APIRouter(tags=["notes"])

MAX_TEXT = 1000
Limit = Annotated[int, Query(ge=1, le=100, description="newest notes to return")]


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class Note(BaseModel):
    id: int
    text: str


def list_notes_blocking(db: SqliteDep, limit: Limit = 20) -> list[Note]:
    with db.connect() as conn:
        rows = conn.execute(LIST_NOTES, {"limit": limit}).fetchall()
    return [Note(id=id_, text=text) for id_, text in rows]


async def list_notes_non_blocking(database: DatabaseDep, limit: Limit = 20) -> list[Note]:
    rows = await database.fetch_all(LIST_NOTES, {"limit": limit})
    return [Note(id=row["id"], text=row["text"]) for row in rows]


def add_note_blocking(note: NoteIn, db: SqliteDep) -> Note:
    with db.connect() as conn:
        note_id = conn.execute(INSERT_NOTE, {"text": note.text}).lastrowid
    return Note(id=note_id, text=note.text)


async def add_note_non_blocking(note: NoteIn, database: DatabaseDep) -> Note:
    note_id = await database.execute(INSERT_NOTE, {"text": note.text})
    return Note(id=note_id, text=note.text)


add_variant_routes(router, "/notes", list_notes_blocking, list_notes_non_blocking)
add_variant_routes(
    router, "/notes", add_note_blocking, add_note_non_blocking, methods=["POST"], status_code=201,
    responses={400: {"description": "FastAPI's answer to a body it cannot parse at all (not UTF-8)"}},
)  # fmt: skip
