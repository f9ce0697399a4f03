"""`python -m service.prestart`: create the schema once, before any worker starts.

Under gunicorn the workers start together; creating the schema (and switching a SQLite file
to WAL, a one-time, persistent change that needs an exclusive lock) in each would make them
race, so `service.serve` runs this first and tells the workers to skip it.
"""

from service.settings import Settings, settings


def prepare(config: Settings = settings) -> None:
    """Idempotent, on the configured backend."""
    if config.backend == "postgres":
        from service.pg import prepare_postgres

        prepare_postgres(config)
    else:
        from service.db import prepare_sqlite

        prepare_sqlite(config)


if __name__ == "__main__":
    prepare()
