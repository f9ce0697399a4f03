"""`python -m service.prestart`: create the schema once, before any worker starts.

Under gunicorn the workers start together; creating the schema (and switching the file to
WAL, a one-time, persistent change that needs an exclusive lock) in each would make them
race, so `service.serve` runs this first and tells the workers to skip it.
"""

from service.db import SCHEMA, SqliteFile
from service.settings import Settings, settings


def prepare(config: Settings = settings) -> None:
    """Idempotent: WAL mode and the notes table, in a `var/` folder created as needed."""
    config.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    with SqliteFile(config.sqlite_path, config.busy_timeout_s).connect() as conn:
        conn.execute("PRAGMA journal_mode=WAL").fetchone()
        conn.execute(SCHEMA)


if __name__ == "__main__":
    prepare()
