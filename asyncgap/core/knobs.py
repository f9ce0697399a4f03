"""The demo service's knobs that the model must know, read from the same `ASYNCGAP_*`
environment the servers inherit: the service's settings extend these, so each knob has one
name, one default and one check, in the service and in the harness alike."""

import os

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Knobs(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASYNCGAP_", frozen=True, extra="ignore")

    thread_tokens: int = Field(40, ge=1, le=10_000, description="anyio's thread limiter, per worker")
    cpu_processes: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64)
    db_pool_size: int = Field(100, ge=1, le=1000, description="PostgreSQL: asyncpg's pool, per worker")
