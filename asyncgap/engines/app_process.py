"""Run things with the user's app, where it lives: its interpreter, its folder, its environment.

asyncgap does not install into the app's environment. `--python PATH` (default: asyncgap's own
interpreter) serves the app and walks its routes with the app's interpreter, so the app keeps
the FastAPI, Starlette and pydantic it pins; the harness, Locust and the model stay in
asyncgap's own environment. Such an interpreter gets only a copy of asyncgap's two app-side
rooms, `asyncgap.watch` and `asyncgap.appside` (the standard library and anyio, which every
FastAPI app has), first on its import path: nothing else of asyncgap, and none of its
dependencies, can shadow the app's.
"""

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from asyncgap.engines import children

INTROSPECT_TIMEOUT_S = 60.0  # an app's import (settings, models) plus the walk
PRESTART_TIMEOUT_S = 600.0  # migrations and seed data
APP_SIDE = ("watch", "appside")  # the rooms an app's interpreter gets
EXIT_IMPORT, EXIT_NOT_ASGI = 3, 4  # asyncgap.appside.introspect's


class AppError(RuntimeError):
    """The app cannot be run as asked; the message is one line."""


def inject(folder: Path) -> Path:
    """A copy of asyncgap's app-side rooms in `folder`, to put first on the app's import path."""
    package = Path(__file__).resolve().parent.parent
    target = folder / "asyncgap"
    target.mkdir(parents=True)
    shutil.copy2(package / "__init__.py", target / "__init__.py")
    for room in APP_SIDE:
        shutil.copytree(package / room, target / room, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@dataclass(frozen=True)
class AppProcess:
    """How to run a command the way the app's servers run: interpreter, folder, import path, env."""

    python: str
    app_dir: Path
    path: tuple[str, ...] = ()  # folders before the app's own on its import path
    env: dict[str, str] = field(default_factory=dict)  # what the user set, over the harness's own

    def environment(self) -> dict[str, str]:
        """The app's variables, its import path, and its interpreter's folder first on PATH (so a
        prestart's `alembic` is the app's)."""
        inherited = {**os.environ, **self.env}
        path = [*self.path, str(self.app_dir), *filter(None, [inherited.get("PYTHONPATH")])]
        bin_dir = str(Path(self.python).parent)
        return {
            **self.env,
            "PYTHONPATH": os.pathsep.join(path),
            "PATH": os.pathsep.join([bin_dir, inherited.get("PATH", os.defpath)]),
        }

    def launcher_options(self) -> tuple[str, ...]:
        """asyncgap.engines.serve's options for this app's interpreter, folder and import path."""
        return ("--app-dir", str(self.app_dir), "--python", self.python, *(f"--path={p}" for p in self.path))

    def introspect(self, target: str, folder: Path) -> dict:
        """The app's routes, operations and versions (asyncgap.appside.introspect), or AppError."""
        out, log = folder / "introspection.json", folder / "introspection.log"
        argv = [self.python, "-m", "asyncgap.appside.introspect", target, str(out)]
        try:
            code = children.run(
                argv, log_path=log, timeout=INTROSPECT_TIMEOUT_S, env=self.environment(), cwd=self.app_dir
            )
        except children.Overrun:
            raise AppError(f"importing {target} took over {INTROSPECT_TIMEOUT_S:g} s") from None
        except OSError as exc:
            raise AppError(f"cannot run --python {self.python}: {exc.strerror}") from None
        if code in (EXIT_IMPORT, EXIT_NOT_ASGI):
            raise AppError(last_line(log))
        if code != 0:
            raise AppError(f"walking {target}'s routes failed ({code}): {last_line(log)}")
        return json.loads(out.read_text())

    def prestart(self, command: str, log: Path) -> None:
        """Run the user's prestart once, in the app's folder and environment; AppError with its tail."""
        try:
            code = children.run(
                ["/bin/sh", "-c", command],
                log_path=log,
                timeout=PRESTART_TIMEOUT_S,
                env=self.environment(),
                cwd=self.app_dir,
            )
        except children.Overrun:
            raise AppError(f"--prestart took over {PRESTART_TIMEOUT_S:g} s; stopped") from None
        if code != 0:
            raise AppError(f"--prestart failed ({code}): {tail(log)}")


def last_line(log: Path) -> str:
    """The last line a child printed (its one-line error)."""
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(it printed nothing)"


def tail(log: Path, lines: int = 3, width: int = 400) -> str:
    """The last lines of a log, on one line: what a one-line error shows of a child's output."""
    found = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    shown = " | ".join(found[-lines:]) or "(it printed nothing)"
    return shown if len(shown) <= width else "..." + shown[-width:]
