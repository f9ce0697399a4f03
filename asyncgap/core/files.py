"""Writing results so that a reader (the dashboard, compare, a crash) never sees half a file."""

import json
import os
from pathlib import Path

from pydantic import BaseModel


def write_atomic(path: Path, text: str) -> Path:
    """Write beside the target, then rename over it: readers see the old file or the new one."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_json(path: Path, data: object) -> Path:
    """JSON, atomically; a pydantic record is written through its own serializer."""
    if isinstance(data, BaseModel):
        return write_atomic(path, data.model_dump_json(indent=2))
    return write_atomic(path, json.dumps(data, indent=2, default=str))
