"""The committed step catalog is generated from the step definitions, and current."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from interlock import catalog
from interlock.lint import StepLibrary

REPO = Path(__file__).resolve().parents[2]


def test_the_committed_catalog_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "interlock.cli", "steps", "--check"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr + "\nrun: .venv/bin/interlock steps"


def test_every_step_is_explained_and_every_generic_step_has_an_example() -> None:
    library = StepLibrary.load(REPO / "steps")
    entries = catalog.collect(library, sorted((REPO / "features").rglob("*.feature")), REPO)
    assert [e.function for e in entries if not e.explanation] == []
    unused = [e.phrases[0] for e in entries if not e.examples]
    assert unused == [], "add a feature that uses these phrases"


def test_snippets_turn_parameters_into_tab_stops() -> None:
    library = StepLibrary.load(REPO / "steps")
    entries = catalog.collect(library, [], REPO)
    snippets = json.loads(catalog.snippets(entries))
    body = snippets["HTTP: the response status should be <status>"]["body"]
    assert body == "the response status should be ${1:status}"
