"""The interface features use every HTTP phrase of the vocabulary contract (and the
variable phrase), so a run against the demo services exercises each of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from interlock.lint import StepLibrary

REPO = Path(__file__).resolve().parents[2]
KEYWORDS = ("Given ", "When ", "Then ", "And ", "But ")


def http_phrases() -> list[str]:
    text = (REPO / "docs" / "vocabulary.md").read_text()
    http = text.split("## HTTP", 1)[1].split("\n## ", 1)[0]
    variables = text.split("## Values everywhere", 1)[1].split("\n## ", 1)[0]
    phrases = []
    for phrase in re.findall(r"`([^`]+)`", http + variables):
        if phrase.startswith(KEYWORDS) and "database" not in phrase:
            phrase = phrase.replace("<METHOD>", "GET").replace("<n>", "3")
            phrases.append(phrase.replace("<json>", '"DONE"').split(" ", 1)[1])
    return phrases


def feature_steps() -> list[str]:
    steps = []
    for feature in sorted((REPO / "features" / "interface").glob("*.feature")):
        for line in feature.read_text().splitlines():
            line = line.strip()
            if line.startswith(KEYWORDS):
                steps.append(line.split(" ", 1)[1])
    return steps


@pytest.fixture(scope="module")
def matchers() -> list:
    return StepLibrary.load(REPO / "steps").matchers


def pattern_of(matchers: list, text: str) -> str | None:
    found = [m.pattern for m in matchers if m.match(text)]
    return found[0] if len(found) == 1 else None


def test_the_contract_has_the_http_phrases() -> None:
    assert len(http_phrases()) >= 25


def test_every_http_phrase_is_used_by_an_interface_feature(matchers: list) -> None:
    used = {pattern_of(matchers, step) for step in feature_steps()}
    unused = [p for p in http_phrases() if pattern_of(matchers, p) not in used]
    assert not unused, f"no interface scenario uses: {unused}"
