"""The rooms of asyncgap and what each may import (see asyncgap/__init__.py): no import climbs a
floor, the watchdog and the app-side room need nothing beyond the standard library and anyio, and
the demo (service/, locustfiles/) uses only asyncgap.core and asyncgap.watch (the locustfiles
asyncgap.load too). Every import counts, deferred ones too."""

import ast
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

COMMANDS = "commands"  # asyncgap's top-level modules (cli, run, meta, ui) and bench/
MAY_IMPORT = {
    "asyncgap.core": {"asyncgap.core"},
    "asyncgap.watch": {"asyncgap.watch"},
    "asyncgap.appside": {"asyncgap.watch", "asyncgap.appside"},  # runs in the app's interpreter
    "asyncgap.load": {"asyncgap.core", "asyncgap.load"},  # runs inside Locust; the harness never imports it
    "asyncgap.engines": {"asyncgap.core", "asyncgap.engines"},
    "asyncgap.cell": {"asyncgap.core", "asyncgap.watch", "asyncgap.engines", "asyncgap.cell"},
    "asyncgap.views": {
        "asyncgap.core",
        "asyncgap.watch",
        "asyncgap.engines",
        "asyncgap.cell",
        "asyncgap.views",
    },
    COMMANDS: {
        "asyncgap.core",
        "asyncgap.watch",
        "asyncgap.engines",
        "asyncgap.cell",
        "asyncgap.views",
        COMMANDS,
    },
    "service": {"asyncgap.core", "asyncgap.watch", "service"},
    "locustfiles": {"asyncgap.core", "asyncgap.watch", "asyncgap.load", "locustfiles"},
}
FIRST_PARTY = {"asyncgap", "service", "locustfiles", "tests"}
WATCH_LIBRARIES = {"anyio"}
ROOMS = ("core", "watch", "appside", "load", "engines", "cell", "views")


def room_of(module: str) -> str:
    """The room a dotted module name belongs to ('asyncgap.cell.model' -> 'asyncgap.cell')."""
    parts = module.split(".")
    if parts[0] != "asyncgap":
        return parts[0]
    if len(parts) > 1 and parts[1] in ROOMS:
        return f"asyncgap.{parts[1]}"
    return COMMANDS


def imported_modules(path: Path) -> set[str]:
    """Every absolute import in a file, as dotted names; `from asyncgap import run` gives asyncgap.run."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def sources(room: str) -> list[Path]:
    if room == COMMANDS:
        top = [p for p in (ROOT / "asyncgap").glob("*.py")]
        return sorted([*top, *(ROOT / "asyncgap" / "bench").rglob("*.py")])
    return sorted(ROOT.joinpath(*room.split(".")).rglob("*.py"))


def test_the_scanner_sees_deferred_and_from_imports(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("import os\nfrom asyncgap.cell import model\ndef f():\n    import service.app\n")
    assert imported_modules(source) == {"os", "asyncgap.cell.model", "service.app"}
    assert [room_of(m) for m in ("asyncgap.cell.model", "asyncgap.run", "asyncgap", "service.app")] == [
        "asyncgap.cell",
        COMMANDS,
        COMMANDS,
        "service",
    ]


def test_every_room_is_checked():
    assert {room_of(f"asyncgap.{room}.x") for room in ROOMS} | {COMMANDS} <= set(MAY_IMPORT)
    assert all(sources(room) for room in MAY_IMPORT)


@pytest.mark.parametrize("room", sorted(MAY_IMPORT))
def test_room_imports_nothing_above_it(room):
    crossings = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sources(room)
        for name in sorted(imported_modules(path))
        if name.split(".")[0] in FIRST_PARTY and room_of(name) not in MAY_IMPORT[room]
    ]
    assert crossings == []


@pytest.mark.parametrize("room", ["asyncgap.watch", "asyncgap.appside"])
def test_what_runs_in_the_apps_interpreter_needs_the_standard_library_and_anyio_only(room):
    foreign = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sources(room)
        for name in sorted(imported_modules(path))
        if (top := name.split(".")[0]) not in sys.stdlib_module_names | WATCH_LIBRARIES and top != "asyncgap"
    ]
    assert foreign == []


def test_each_room_says_what_lives_there_and_what_it_may_import():
    for room in ROOMS:
        doc = ast.get_docstring(ast.parse((ROOT / "asyncgap" / room / "__init__.py").read_text()))
        assert doc and "import" in doc, f"asyncgap/{room}/__init__.py"
