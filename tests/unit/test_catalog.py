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


def test_a_domain_parameter_lists_its_values_and_a_check_what_it_reads() -> None:
    library = StepLibrary.load(REPO / "steps")
    entries = catalog.collect(library, [], REPO)
    text = catalog.markdown(entries)
    refused = text.split("### `<customer>'s order is refused because <reason>`", 1)[1]
    refused = refused.split("###", 1)[0]
    assert (
        "`reason` (why the shop refuses an order, one of: `the shop does not have enough in"
        " stock`, `the shop does not sell it`)" in refused
    )
    assert "Reads: the API and the database." in refused
    left = text.split("### `the shop has <count> <product> left`", 1)[1].split("###", 1)[0]
    assert (
        "`product` (a product of the shop, singular or plural" in left
        and "`desk lamp`, `mug`, `oak desk`" in left
    )
    assert "Reads: the database." in left
    assert "one of desk lamp, mug, oak desk. Reads the database." in catalog.page(entries)
    snippets = json.loads(catalog.snippets(entries))
    body = snippets["Shop (domain steps): the shop has <count> <product> left"]["body"]
    assert body == "the shop has ${1:count} ${2|desk lamp,mug,oak desk|} left"
