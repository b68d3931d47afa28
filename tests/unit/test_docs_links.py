"""Every relative link of the README and the docs resolves: the file (or folder) it
names exists, and a ``#section`` it names is a heading of that page (GitHub's
anchors: lower case, punctuation dropped, spaces as hyphens)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [
    REPO / "README.md",
    REPO / "ARCHITECTURE.md",
    *sorted((REPO / "docs").glob("*.md")),
    *(REPO / folder / "README.md" for folder in ("steps", "demo", "bench")),
]

_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for heading in _HEADING.findall(_FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = anchor(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[str]:
    prose = _CODE.sub("", _FENCE.sub("", page.read_text(encoding="utf-8")))
    return _LINK.findall(prose)


def relative_links() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for target in links(page):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:...
                continue
            found.append((str(page.relative_to(REPO)), target))
    return found


def test_the_pages_link_to_each_other() -> None:
    assert len(relative_links()) >= 20


@pytest.mark.parametrize(("page", "target"), relative_links(), ids=lambda v: str(v))
def test_relative_link_resolves(page: str, target: str) -> None:
    source = REPO / page
    path, _, section = target.partition("#")
    resolved = (source.parent / path).resolve() if path else source
    assert resolved.exists(), f"{page}: the link {target!r} names {path!r}, which does not exist"
    assert REPO in resolved.parents or resolved == REPO, f"{page}: {target!r} leaves the repository"
    if section and resolved.suffix == ".md":
        assert section in anchors(resolved), (
            f"{page}: the link {target!r} names a section {resolved.name} does not have;"
            f" it has: {', '.join(sorted(anchors(resolved)))}"
        )


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Sign-off: what an acceptance pack refuses to hide",
         "sign-off-what-an-acceptance-pack-refuses-to-hide"),
        ("Help inside the editor: `interlock lsp`", "help-inside-the-editor-interlock-lsp"),
        ("Waivers: a known failure, accepted by name, for a while",
         "waivers-a-known-failure-accepted-by-name-for-a-while"),
    ],
)  # fmt: skip
def test_anchor_as_github_makes_it(heading: str, expected: str) -> None:
    assert anchor(heading) == expected
