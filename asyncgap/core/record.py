"""The base of every typed record: an unknown field is an error, never silently dropped, so a
file from another version of asyncgap loads or fails with one line."""

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")
