"""The packages' layering: core imports none of the others; service and locustfiles import only
core (and their libraries); loadtest may import all. Every import counts, deferred ones too."""

import ast
from pathlib import Path

import pytest

from core.matrix import ROOT

FORBIDDEN = {
    "core": {"service", "locustfiles", "loadtest"},
    "service": {"locustfiles", "loadtest"},
    "locustfiles": {"service", "loadtest"},
}


def imported_packages(path: Path) -> set[str]:
    """Top-level package of every absolute import in a file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_scanner_sees_deferred_and_from_imports(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("import os\nfrom loadtest.matrix import x\ndef f():\n    import service.app\n")
    assert imported_packages(source) == {"os", "loadtest", "service"}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_nothing_above_its_layer(package):
    crossings = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in sorted(imported_packages(path) & FORBIDDEN[package])
    ]
    assert crossings == []
