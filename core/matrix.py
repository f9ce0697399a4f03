"""matrix.toml -> validated, frozen models: the single source of setups, scenarios, profiles."""

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core import levels
from core.names import unknown
from core.variants import Variant

ROOT = Path(__file__).resolve().parent.parent
MATRIX_ENV = "ASYNCGAP_MATRIX"  # another matrix file, for the harness and service.serve alike


class MatrixError(ValueError):
    """A matrix.toml that cannot be used; the message is one line for the user."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Setup(_Frozen):
    """One way of serving the app: which server, how many worker processes, which port."""

    description: str
    server: Literal["uvicorn", "gunicorn"]
    workers: int = Field(ge=1, le=64)
    port: int = Field(ge=1024, le=65535)
    timeout_s: int | None = Field(default=None, ge=1, le=3600)  # gunicorn --timeout (its default: 30)
    thread_tokens: int | None = Field(default=None, ge=1, le=10_000)  # per worker (None: the service's)

    @model_validator(mode="after")
    def _timeout_is_gunicorns(self) -> "Setup":
        if self.timeout_s is not None and self.server != "gunicorn":
            raise ValueError("timeout_s is gunicorn's worker timeout; uvicorn has none")
        return self


class Expectation(_Frozen):
    """A gap the scenario must show at its default load, checked by `loadtest run --check`."""

    faster: Variant
    slower: Variant
    factor: float = Field(gt=0)
    workers: int | None = Field(default=None, ge=1)  # only on setups with this many workers


class Scenario(_Frozen):
    """One traffic pattern: a locustfile and the size of its work."""

    description: str
    locustfile: str
    users: int = Field(ge=1, le=10_000)
    work_ms: int | None = Field(default=None, ge=0, le=60_000)
    work_n: int | None = Field(default=None, ge=1)
    variants: tuple[Variant, ...] | None = Field(default=None, min_length=1)  # None: all of them
    expect: tuple[Expectation, ...] = ()
    database: Literal["sqlite", "postgres"] = "sqlite"  # postgres: the run starts a throwaway cluster

    @property
    def path(self) -> Path:
        return ROOT / self.locustfile


class Profile(_Frozen):
    """Which cells to run and for how long each; with several `users`, each cell is a sweep that
    holds each level for duration_s (its first warmup_s discarded)."""

    description: str
    setups: tuple[str, ...] = Field(min_length=1)
    scenarios: tuple[str, ...] = Field(min_length=1)
    variants: tuple[Variant, ...] = Field(min_length=1)
    users: tuple[int, ...] | None = Field(default=None, min_length=1)  # None: each scenario's users
    duration_s: float = Field(gt=0, le=3600)
    warmup_s: float = Field(ge=0)

    @field_validator("users")
    @classmethod
    def _sweepable(cls, users: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if users and (problem := levels.problem(users)):
            raise ValueError(problem)
        return users

    @model_validator(mode="after")
    def _warmup_inside_duration(self) -> "Profile":
        if self.warmup_s >= self.duration_s:
            raise ValueError(f"warmup_s ({self.warmup_s}) must be below duration_s ({self.duration_s})")
        return self


class Matrix(_Frozen):
    upstream: Setup
    setups: dict[str, Setup] = Field(min_length=1)
    scenarios: dict[str, Scenario] = Field(min_length=1)
    profiles: dict[str, Profile] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "Matrix":
        ports = [self.upstream.port] + [s.port for s in self.setups.values()]
        if len(set(ports)) != len(ports):
            raise ValueError(f"ports must be distinct, got {ports}")
        for name, scenario in self.scenarios.items():
            if not scenario.path.is_file():
                raise ValueError(f"scenario {name!r}: no locustfile at {scenario.locustfile}")
        for name, profile in self.profiles.items():
            _known(f"profile {name!r} setup", profile.setups, self.setups)
            _known(f"profile {name!r} scenario", profile.scenarios, self.scenarios)
        return self

    def setup(self, name: str) -> Setup:
        """The setup called `name`, the upstream included (it is served the same way)."""
        if name == "upstream":
            return self.upstream
        _known("setup", [name], self.setups)
        return self.setups[name]


def _known(what: str, names, choices) -> None:
    if message := unknown(what, names, choices):
        raise MatrixError(message)


def load(path: Path | None = None) -> Matrix:
    """Parse and validate; every failure becomes a one-line MatrixError."""
    path = path or Path(os.environ.get(MATRIX_ENV, ROOT / "matrix.toml"))
    try:
        data = tomllib.loads(path.read_text())
    except OSError as exc:
        raise MatrixError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MatrixError(f"{path.name} is not valid TOML: {exc}") from None
    try:
        return Matrix.model_validate(data)
    except ValidationError as exc:
        raise MatrixError(f"{path.name}: {one_line(exc)}") from None


def one_line(exc: ValidationError) -> str:
    """The first validation error as 'where: what' (pydantic's own text spans many lines)."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "top level"
    return f"{where}: {first['msg']}"
