"""docs/ci.md against the code: its table of threshold fields is FIELDS, row for row."""

import re

from asyncgap.core.thresholds import FIELDS
from tests.paths import ROOT

PAGE = (ROOT / "docs" / "ci.md").read_text()


def test_the_fields_table_lists_every_field_where_it_exists():
    rows = re.findall(r"^\| `(\w+)` \| .* \| ([a-z, ]+) \|$", PAGE, re.M)
    assert rows == [(name, ", ".join(spec.where)) for name, spec in FIELDS.items()]
