"""Every phrase of the vocabulary contract resolves to exactly one step definition.

The contract is ``docs/vocabulary.md``, a copy of the shared ``VOCABULARY.md`` (a
test below keeps the two equal when the shared one is present). Its notation is
filled with examples: ``<METHOD>`` POST, ``<n>`` 3, ``<json>`` a string.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from interlock.lint import StepLibrary

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "docs" / "vocabulary.md"
SHARED = REPO.parent / "shared" / "VOCABULARY.md"
KEYWORDS = ("Given ", "When ", "Then ", "And ", "But ")

# Phrases the contract mentions in prose rather than as a step of its own.
EXTRA = [
    'Then the table "orders" should have 1 row',
    'Then the table "orders" should have 1 row where "status" is "PAID"',
    'Then the response field "id" should be "#uuid"',
    'Then the response field "items" should be [1, 2]',
    'Then the response field "total" should be 2.5',
    'When I send a POST request to "/orders" with JSON',  # the colon is optional
]


# Sections of the contract whose steps are not built yet, and the issue that builds them.
# A phrase of these is expected to match no step (strict: once it does, move it out).
NOT_BUILT_YET: dict[str, str] = {}


def contract_sections() -> dict[str, str]:
    """Each phrase of the contract, with the heading of the section it is under."""
    phrases: dict[str, str] = {}
    for section in re.split(r"^## ", CONTRACT.read_text(), flags=re.MULTILINE)[1:]:
        heading = section.splitlines()[0].strip()
        for text in re.findall(r"`([^`]+)`", section):
            if not text.startswith(KEYWORDS):
                continue
            text = text.replace("<METHOD>", "POST").replace("<n>", "3")
            text = text.replace("<json>", '"CONFIRMED"').replace('"SELECT ..."', '"SELECT 1"')
            phrases.setdefault(text.split(" ", 1)[1], heading)
    return phrases


def contract_phrases() -> list[str]:
    return list(contract_sections())


def _param(phrase: str, heading: str) -> object:
    if heading in NOT_BUILT_YET:
        return pytest.param(
            phrase, marks=pytest.mark.xfail(strict=True, reason=NOT_BUILT_YET[heading])
        )
    return phrase


PHRASES = [
    _param(phrase, heading)
    for phrase, heading in sorted(
        {**contract_sections(), **{p.split(" ", 1)[1]: "" for p in EXTRA}}.items()
    )
]


@pytest.fixture(scope="module")
def matchers() -> list:
    return StepLibrary.load(REPO / "steps").matchers


def test_the_contract_lists_phrases() -> None:
    assert len(contract_phrases()) > 30


@pytest.mark.parametrize("phrase", PHRASES)
def test_phrase_resolves_to_exactly_one_step(matchers: list, phrase: str) -> None:
    found = [m.pattern for m in matchers if m.match(phrase)]
    assert len(found) == 1, f"{phrase!r} matches {found or 'no step'}"


@pytest.mark.skipif(not SHARED.exists(), reason="the shared vocabulary is not beside the repo")
def test_the_contract_copy_is_current() -> None:
    assert CONTRACT.read_text() == SHARED.read_text(), (
        "docs/vocabulary.md differs from ../shared/VOCABULARY.md: copy it over"
    )
