"""Every Gherkin step the README and docs/*.md show is one lint accepts.

A ```gherkin block is linted as a scratch feature (wrapped in a Feature and, for bare
steps, a Scenario), exactly as ``interlock lint`` lints a saved file: each step must
match exactly one step definition, with values its parameters accept, a doc string or
table only where the step takes one, JSON where JSON is needed. A block that shows a
mistake on purpose is marked on the line just before its fence with
``<!-- counter-example -->`` (invisible on the rendered page); lint must then find one.

A step quoted in the prose (`` `When I send ...` `` or ``"Given the shop ..."``) must
match exactly one step definition too, unless it is listed in ``INLINE_COUNTER``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from behave.matchers import MatchWithError

from interlock.lint import StepLibrary, lint_text

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
COUNTER = "<!-- counter-example -->"
KEYWORD = r"(?:Given|When|Then|And|But) "

# Steps a fragment may leave to what the page omits: a variable saved by a step not shown.
FRAGMENT_ONLY = ("is used before any step saves it",)

# Partial or wrong steps the prose shows on purpose, by file: what it says to type.
INLINE_COUNTER = {
    "docs/editor.md": {"When I se"},  # what you type before completion finishes it
    "docs/reliability.md": {"When Ana orders 1 office chair"},  # the fault it names
}

_FENCE = re.compile(r"^```gherkin[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_ANY_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_INLINE = re.compile(rf"`({KEYWORD}[^`]+)`|\"({KEYWORD}[^\"\n]+)\"")  # `...` may wrap
_HEADER = re.compile(r"^\s*(Feature|Scenario|Scenario Outline|Example|Rule|Background)\s*:", re.M)


@dataclass(frozen=True)
class Block:
    file: str
    line: int
    text: str
    counter: bool

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def blocks() -> list[Block]:
    found = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for match in _FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            relative = str(path.relative_to(REPO))
            found.append(Block(relative, line, match.group(1), before.strip() == COUNTER))
    return found


def inline_steps() -> list[tuple[str, str]]:
    found = []
    for path in DOCS:
        relative = str(path.relative_to(REPO))
        if relative in ("docs/vocabulary.md", "docs/steps.md"):
            continue  # their notation (<n>, <json>) is checked by test_step_phrases
        prose = _ANY_FENCE.sub("", path.read_text(encoding="utf-8"))
        for match in _INLINE.finditer(prose):
            step = " ".join((match.group(1) or match.group(2)).split())
            found.append((relative, step.rstrip(":").rstrip()))
    return sorted(set(found))


def as_feature(block: str) -> str:
    """The block as a feature file: bare steps get a Scenario, scenarios a Feature."""
    headers = {m.group(1) for m in _HEADER.finditer(block)}
    if "Feature" in headers:
        return block
    if headers:
        return "Feature: shown in the docs\n" + block
    return "Feature: shown in the docs\nScenario: shown in the docs\n" + block


@pytest.fixture(scope="module")
def library() -> StepLibrary:
    return StepLibrary.load(REPO / "steps")


def _problems(library: StepLibrary, block: Block) -> list[str]:
    path = REPO / "features" / "docs-block.feature"
    problems = lint_text(REPO, path, as_feature(block.text), library)
    return [str(p) for p in problems if not any(f in p.message for f in FRAGMENT_ONLY)]


def test_the_docs_show_gherkin() -> None:
    assert len(blocks()) >= 5
    assert len(inline_steps()) >= 5


@pytest.mark.parametrize("block", blocks(), ids=str)
def test_each_gherkin_block_passes_lint(library: StepLibrary, block: Block) -> None:
    problems = _problems(library, block)
    if block.counter:
        assert problems, f"{block} is marked {COUNTER}, but lint finds nothing wrong in it"
    else:
        assert not problems, (
            f"{block}: lint rejects what the page shows (mark it {COUNTER} if on purpose):\n"
            + "\n".join(problems)
        )


@pytest.mark.parametrize(("file", "step"), inline_steps(), ids=lambda v: str(v)[:60])
def test_each_step_in_the_prose_matches_one_step(
    library: StepLibrary, file: str, step: str
) -> None:
    text = step.split(" ", 1)[1]
    found = library.matches(text)
    if step in INLINE_COUNTER.get(file, set()):
        wrong = len(found) != 1 or isinstance(found[0].match(text), MatchWithError)
        assert wrong, f"{file}: {step!r} is listed as a counter-example but is right"
        return
    assert len(found) == 1, f"{file}: {step!r} matches {[m.pattern for m in found] or 'no step'}"
    refused = found[0].match(text)
    assert not isinstance(refused, MatchWithError), (
        f"{file}: {step!r}: {getattr(refused, 'stored_error', refused)}"
    )


def test_a_counter_example_mark_is_seen(library: StepLibrary) -> None:
    wrong = Block("x.md", 1, "When Dora order 1 desk lamp\n", counter=True)
    assert _problems(library, wrong)
    assert "undefined step" in _problems(library, wrong)[0]
