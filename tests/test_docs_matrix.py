"""docs/matrix.md against matrix.toml: every setup, scenario and profile is described, the counts
in its headings are the matrix's, and each profile's cells and seconds of load are computed ones."""

import re

from asyncgap.cell.plan import resolve
from asyncgap.core.matrix import load
from tests.paths import ROOT

PAGE = (ROOT / "docs" / "matrix.md").read_text()
MATRIX = load(ROOT / "matrix.toml")


def test_every_name_of_the_matrix_is_described_and_counted():
    for heading, names in (
        ("Setups", MATRIX.setups),
        ("Scenarios", MATRIX.scenarios),
        ("Profiles", MATRIX.profiles),
    ):
        assert f"## {heading} ({len(names)})" in PAGE
        assert [name for name in names if f"| `{name}` |" not in PAGE] == []


def test_each_profile_row_gives_its_cells_and_seconds_of_load():
    for name in MATRIX.profiles:
        cells = resolve(MATRIX, name)
        row = re.search(rf"^\| `{re.escape(name)}` \|.*\| (\d+) \| (\d+) \|$", PAGE, re.M)
        assert row, f"no row for profile {name}"
        assert (int(row[1]), int(row[2])) == (len(cells), round(sum(c.duration_s for c in cells)))
