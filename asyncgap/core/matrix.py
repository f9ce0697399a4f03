"""matrix.toml -> validated, frozen models: the single source of setups, scenarios, profiles.

asyncgap ships the setups and the profiles of `asyncgap run --app` (default_matrix.toml beside
this file). A matrix.toml's own [setups] are added to the shipped ones (one of the same name
replaces it, one on its port leaves it out), so a matrix of one setup still runs the shipped
profiles; it takes the shipped [profiles] when it has none of its own. `--app` uses the shipped
file alone when no matrix is found.
"""

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from asyncgap.core import levels
from asyncgap.core.names import unknown
from asyncgap.core.thresholds import ThresholdTable
from asyncgap.core.variants import Variant

MATRIX_NAME = "matrix.toml"
MATRIX_ENV = "ASYNCGAP_MATRIX"  # another matrix file, for the harness and service.serve alike
SHIPPED = Path(__file__).with_name("default_matrix.toml")


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
    keep_alive_s: int | None = Field(default=None, ge=1, le=3600)  # idle keep-alive (default 5 s, gunicorn 2)

    @model_validator(mode="after")
    def _timeout_is_gunicorns(self) -> "Setup":
        if self.timeout_s is not None and self.server != "gunicorn":
            raise ValueError("timeout_s is gunicorn's worker timeout; uvicorn has none")
        return self


class Expectation(_Frozen):
    """A gap the scenario must show at its default load, checked by `asyncgap run --check`."""

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


class Profile(_Frozen):
    """Which cells to run and for how long each; with several `users`, each cell is a sweep that
    holds each level for duration_s (its first warmup_s discarded)."""

    description: str
    setups: tuple[str, ...] = Field(min_length=1)
    scenarios: tuple[str, ...] = ()  # the demo's; none in a profile of --app (the app's traffic)
    variants: tuple[Variant, ...] = ()
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
    """The whole matrix; `root` is its file's folder, which its relative paths (locustfiles, the
    demo service) are relative to: the harness works from there."""

    upstream: Setup | None = None  # the demo's fake external API: its scenarios need one
    setups: dict[str, Setup] = Field(min_length=1)
    scenarios: dict[str, Scenario] = Field(default_factory=dict)
    profiles: dict[str, Profile] = Field(min_length=1)
    thresholds: ThresholdTable = Field(default_factory=ThresholdTable)  # gates: asyncgap/core/thresholds.py
    _root: Path = PrivateAttr(default_factory=Path.cwd)

    @property
    def root(self) -> Path:
        return self._root

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> "Matrix":
        self._root = Path((info.context or {}).get("root", Path.cwd()))
        if self.scenarios and self.upstream is None:
            raise ValueError("scenarios need an [upstream] (the fake external API their servers call)")
        ports = [s.port for s in (self.upstream, *self.setups.values()) if s is not None]
        if len(set(ports)) != len(ports):
            raise ValueError(f"ports must be distinct, got {ports}")
        for name, scenario in self.scenarios.items():
            if not (self.root / scenario.locustfile).is_file():
                raise ValueError(f"scenario {name!r}: no locustfile at {scenario.locustfile}")
        for name, profile in self.profiles.items():
            _known(f"profile {name!r} setup", profile.setups, self.setups)
            _known(f"profile {name!r} scenario", profile.scenarios, self.scenarios)
        _known("[thresholds.setups] setup", self.thresholds.setups, self.setups)
        _known("[thresholds.scenarios] scenario", self.thresholds.scenarios, self.scenarios)
        return self

    def setup(self, name: str) -> Setup:
        """The setup called `name`, the upstream included (it is served the same way)."""
        if name == "upstream" and self.upstream is not None:
            return self.upstream
        _known("setup", [name], self.setups)
        return self.setups[name]


def _known(what: str, names, choices) -> None:
    if message := unknown(what, names, choices):
        raise MatrixError(message)


def locate(path: Path | None = None) -> Path:
    """The matrix to use: the one given, else $ASYNCGAP_MATRIX, else ./matrix.toml (a clone of
    asyncgap has the demo's at its top)."""
    path = path or Path(os.environ.get(MATRIX_ENV, MATRIX_NAME))
    if not path.is_file() and path == Path(MATRIX_NAME):
        raise MatrixError(
            f"no {MATRIX_NAME} in {Path.cwd()}: pass --matrix FILE (a clone of asyncgap has one)"
        )
    return path.absolute()


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except OSError as exc:
        raise MatrixError(f"cannot read {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MatrixError(f"{path.name} is not valid TOML: {exc}") from None


def load(path: Path | None = None) -> Matrix:
    """Parse and validate, with the shipped setups beside the file's own and the shipped profiles
    if it has none; every failure becomes a one-line MatrixError."""
    path = locate(path)
    data = _read(path) if path == SHIPPED else _with_shipped(_read(path), _read(SHIPPED))
    try:
        return Matrix.model_validate(data, context={"root": path.parent})
    except ValidationError as exc:
        raise MatrixError(f"{path.name}: {one_line(exc)}") from None


def _with_shipped(data: dict, shipped: dict) -> dict:
    """The file's tables, its setups joined by each shipped setup whose name and port it leaves
    free, and the shipped profiles (narrowed to the setups there) if it has none."""
    own = data.get("setups", {})
    if not isinstance(own, dict):
        return data  # validation says what is wrong with it
    servers = (*own.values(), data.get("upstream", {}))
    taken = {s.get("port") for s in servers if isinstance(s, dict) and isinstance(s.get("port"), int)}
    setups = {
        **{name: s for name, s in shipped["setups"].items() if name not in own and s["port"] not in taken},
        **own,
    }
    profiles = data.get("profiles") or {
        name: {**profile, "setups": kept}
        for name, profile in shipped["profiles"].items()
        if (kept := [setup for setup in profile["setups"] if setup in setups])
    }
    return {**data, "setups": setups, "profiles": profiles}


def locate_for_app(path: Path | None = None) -> Path:
    """The matrix of `--app`: the one given (or $ASYNCGAP_MATRIX, or ./matrix.toml) if there is
    one, else the shipped setups and profiles alone."""
    if path is None and not os.environ.get(MATRIX_ENV) and not Path(MATRIX_NAME).is_file():
        return SHIPPED
    return locate(path)


def load_for_app(path: Path | None = None) -> Matrix:
    return load(locate_for_app(path))


def one_line(exc: ValidationError) -> str:
    """The first validation error as 'where: what' (pydantic's own text spans many lines)."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "top level"
    return f"{where}: {first['msg']}"
