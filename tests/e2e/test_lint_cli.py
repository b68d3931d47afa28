"""``interlock lint`` and ``interlock run`` on what an analyst writes wrong, as a user runs
them: every mistake named with file:line, never a Python traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import interlock

pytestmark = pytest.mark.e2e

CHAIR = (
    "@integration\n"
    "Feature: Ordering what the shop does not sell\n"
    "  @REQ-7\n"
    "  Scenario: An office chair\n"
    "    Given the shop has 5 desk lamps in stock\n"
    "    When Ana orders 1 office chair\n"
)


def write(project: Path, name: str, data: str | bytes) -> str:
    path = project / "features" / "integration" / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    return str(path.relative_to(project))


def test_an_unknown_product_is_named_by_lint_and_by_the_run(project: Path) -> None:
    """It crashed both with TypeError: 'NoneType' object is not iterable."""
    path = write(project, "chair.feature", CHAIR)
    said = f"{path}:6: error: 'office chair' is not a product. Known products: desk lamp, mug, oak desk"

    lint = interlock(project, "lint", path)
    assert lint.returncode == 1, lint.stdout + lint.stderr
    assert said in lint.stdout
    assert "Traceback" not in lint.stdout + lint.stderr

    run = interlock(project, "run", "--no-report", path)
    assert run.returncode == 2, run.stdout + run.stderr  # lint stops it: nothing ran
    assert said in run.stderr
    assert "Traceback" not in run.stdout + run.stderr

    run = interlock(project, "run", "--no-report", "--no-lint", path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"{path}:6: 'office chair' is not a product. Known products:" in run.stdout
    assert "write one of them (the products are declared in steps/shop_steps.py)" in run.stdout
    assert "StepParseError" not in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_files_that_are_no_text_are_named_and_the_others_still_linted(project: Path) -> None:
    latin = write(
        project,
        "latin.feature",
        "Feature: F\n  @REQ-1\n  Scenario: Caf\xe9\n    Given the shop has 1 mug in stock\n".encode(
            "latin-1"
        ),
    )
    binary = write(project, "binary.feature", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff")
    chair = write(project, "chair.feature", CHAIR)
    lint = interlock(project, "lint", "features/integration")
    assert lint.returncode == 1, lint.stdout + lint.stderr
    assert (
        f"{latin}:3: error: not valid Gherkin: not UTF-8 text: byte 0xe9 at line 3" in lint.stdout
    )
    assert f"{binary}:1: error: not valid Gherkin: not UTF-8 text: byte 0x89" in lint.stdout
    assert f"{chair}:6: error: 'office chair' is not a product" in lint.stdout
    assert "Traceback" not in lint.stdout + lint.stderr


def test_a_step_module_that_fails_to_load_is_named(project: Path) -> None:
    (project / "steps" / "broken_steps.py").write_text(
        "from behave import step\n\n\nCATALOGUE = {}\nCATALOGUE['lamp'][0]\n"
    )
    lint = interlock(project, "lint")
    assert lint.returncode == 2, lint.stdout + lint.stderr
    assert "steps/broken_steps.py:5: the step module could not be loaded: KeyError: 'lamp'" in (
        lint.stderr
    )
    assert "Traceback" not in lint.stdout + lint.stderr
