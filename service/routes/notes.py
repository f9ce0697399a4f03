"""`/{variant}/notes`: read and write the database (service/store.py: SQLite or PostgreSQL).

A 201 is sent only after the autocommit INSERT returned, i.e. once the row is committed.
"""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from service.deps import StoreDep
from service.variant_routes import add_variant_routes

router = APIRouter(tags=["notes"])

MAX_TEXT = 1000
Limit = Annotated[int, Query(ge=1, le=100, description="newest notes to return")]


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class Note(BaseModel):
    id: int
    text: str


def list_notes_blocking(store: StoreDep, limit: Limit = 20) -> list[Note]:
    return [Note(id=id_, text=text) for id_, text in store.list_notes(limit)]


async def list_notes_non_blocking(store: StoreDep, limit: Limit = 20) -> list[Note]:
    return [Note(id=id_, text=text) for id_, text in await store.list_notes_async(limit)]


def add_note_blocking(note: NoteIn, store: StoreDep) -> Note:
    return Note(id=store.add_note(note.text), text=note.text)


async def add_note_non_blocking(note: NoteIn, store: StoreDep) -> Note:
    return Note(id=await store.add_note_async(note.text), text=note.text)


add_variant_routes(router, "/notes", list_notes_blocking, list_notes_non_blocking, awaits="db")
add_variant_routes(
    router,
    "/notes",
    add_note_blocking,
    add_note_non_blocking,
    awaits="db",
    methods=["POST"],
    status_code=201,
    responses={400: {"description": "FastAPI's answer to a body it cannot parse at all (not UTF-8)"}},
)
