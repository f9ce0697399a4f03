"""One settings singleton, read from `ASYNCGAP_*` environment variables.

The harness configures the service only through these variables, so every knob a
setup or a test turns is listed here, with its default.
"""

from pathlib import Path
from typing import Literal

from databases import DatabaseURL
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import SettingsConfigDict

from asyncgap.core.knobs import Knobs
from asyncgap.core.matrix import one_line

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'var' / 'asyncgap.db'}"
POSTGRES_SCHEMES = ("postgresql", "postgres")


class Settings(Knobs):
    """The knobs the model must know (asyncgap.core.knobs), and the service's own."""

    model_config = SettingsConfigDict(env_prefix="ASYNCGAP_", frozen=True, extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="sqlite:///relative or sqlite:////absolute, or postgresql://user@host:port/dbname",
    )
    busy_timeout_s: float = Field(5.0, gt=0, description="how long a writer waits for the SQLite lock")
    upstream_url: str = "http://127.0.0.1:8001"
    upstream_timeout_s: float = Field(70.0, gt=0, description="above the longest /delay (60 s)")
    upstream_connect_timeout_s: float = Field(2.0, gt=0)
    create_schema: bool = Field(True, description="false when a prestart step created it already")
    freeze_heap: bool = Field(
        False, description="gc.freeze() what startup made, while serving (service.serve sets true)"
    )
    instrument: bool = Field(True, description="metrics middleware and lag probe (off: measure their cost)")
    watchdog: bool = Field(True, description="name what blocks the loop, if instrumented")
    block_threshold_ms: float = Field(
        20.0, gt=0, allow_inf_nan=False, description="loop lateness the watchdog counts as blocked"
    )
    db_wait_s: float = Field(2.0, gt=0, description="PostgreSQL: a blocking query's wait for a connection")

    @field_validator("database_url")
    @classmethod
    def _sqlite_or_postgres(cls, url: str) -> str:
        parsed = DatabaseURL(url)
        if parsed.scheme not in ("sqlite", *POSTGRES_SCHEMES) or not parsed.database:
            raise ValueError("only sqlite:///PATH or postgresql://USER@HOST:PORT/DBNAME URLs are supported")
        return url

    @property
    def backend(self) -> Literal["sqlite", "postgres"]:
        return "postgres" if DatabaseURL(self.database_url).scheme in POSTGRES_SCHEMES else "sqlite"

    @property
    def sqlite_path(self) -> Path:
        return Path(DatabaseURL(self.database_url).database)


def from_environment() -> Settings:
    """The settings; a bad variable stops the process with one line naming it (uvicorn or gunicorn
    would print a traceback per worker)."""
    try:
        return Settings()
    except ValidationError as exc:
        where, _, what = one_line(exc).partition(": ")
        raise SystemExit(f"error: ASYNCGAP_{where.upper()}: {what}") from None


settings = from_environment()
