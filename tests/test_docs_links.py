"""The README and every page under docs/ link only to files that exist (relative links and image
paths), to headings that exist when a link names one, and the README reaches every page."""

import re
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tests.paths import ROOT

PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
PARSER = MarkdownIt("commonmark").enable("table")


def _flat(tokens: list[Token]) -> list[Token]:
    return [t for token in tokens for t in (token, *_flat(token.children or []))]


def targets(page: Path) -> list[str]:
    """Every link's href and image's src in the page (code spans and blocks hold none)."""
    found = []
    for token in _flat(PARSER.parse(page.read_text())):
        if token.type == "link_open":
            found.append(str(token.attrs["href"]))
        elif token.type == "image":
            found.append(str(token.attrs["src"]))
    return found


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The page's heading anchors; a repeated heading gets -1, -2... as on GitHub."""
    tokens = PARSER.parse(page.read_text())
    times: dict[str, int] = {}
    found = set()
    for opening, inline in pairwise(tokens):
        if opening.type == "heading_open":
            text = "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))
            base = slug(text)
            found.add(f"{base}-{times[base]}" if base in times else base)
            times[base] = times.get(base, 0) + 1
    return found


def broken(page: Path) -> list[str]:
    """The page's links that lead nowhere, each with why."""
    problems = []
    for href in targets(page):
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            continue  # a web address: not this test's business
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        if not target.exists():
            problems.append(f"{href}: no such file")
        elif parts.fragment and target.suffix == ".md" and parts.fragment not in anchors(target):
            problems.append(f"{href}: no heading #{parts.fragment} in {parts.path or page.name}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_of_the_page_leads_somewhere(page):
    assert broken(page) == []


def test_the_readme_reaches_every_page_of_the_docs():
    linked = {(ROOT / urlsplit(href).path).resolve() for href in targets(ROOT / "README.md")}
    unreachable = [str(p.relative_to(ROOT)) for p in PAGES if p.name != "README.md" and p not in linked]
    assert unreachable == []


def test_a_missing_file_and_a_missing_heading_are_both_caught(tmp_path):
    (tmp_path / "other.md").write_text("# The `model`, in words\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#the-model-in-words) ![gone](pics/none.png) [bad](other.md#nothing)\n"
        "`[code](not-a-link.md)` [web](https://example.com/x.md) [here](#title)\n\n# Title\n"
    )
    assert broken(page) == [
        "pics/none.png: no such file",
        "other.md#nothing: no heading #nothing in other.md",
    ]
