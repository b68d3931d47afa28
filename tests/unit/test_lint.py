"""interlock lint against the project's real step library, on feature files it writes."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from interlock.lint import TAKES_DOC, TAKES_TABLE, StepLibrary, lint

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def library() -> StepLibrary:
    return StepLibrary.load(REPO / "steps")


def check(tmp_path: Path, library: StepLibrary, text: str, tag: str | None = None) -> list[str]:
    path = tmp_path / "features" / "x.feature"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    pattern = re.compile(tag) if tag else None
    return [str(p) for p in lint(tmp_path, [path], library, pattern)]


def test_a_clean_feature_has_no_problem(tmp_path: Path, library: StepLibrary) -> None:
    assert (
        check(
            tmp_path,
            library,
            "Feature: F\n  @REQ-1\n  Scenario: S\n"
            '    Given the "shop" database\n'
            '    And I save the column "id" of the table "orders" where "ref" is "x" as "order_id"\n'
            '    Then the table "orders" should have 1 row where "id" is "${order_id}"\n',
            r"REQ-\d+",
        )
        == []
    )


def test_an_undefined_step_gets_the_closest_phrasings(tmp_path: Path, library: StepLibrary) -> None:
    (problem,) = check(
        tmp_path, library, "Feature: F\n  Scenario: S\n    Then the respons status should be 200\n"
    )
    assert problem.startswith("features/x.feature:3: error: undefined step")
    assert "did you mean: the response status should be <status>" in problem


def test_a_variable_used_before_it_is_saved(tmp_path: Path, library: StepLibrary) -> None:
    (problem,) = check(
        tmp_path,
        library,
        "Feature: F\n  Scenario: S\n"
        '    Then the table "orders" should have 1 row where "id" is "${order_id}"\n'
        '    And the table "orders" should have 1 row where "ref" is "${unique}"\n',
    )
    assert "features/x.feature:3: error: ${order_id} is used before any step saves it" in problem


def test_background_variables_count_for_every_scenario(
    tmp_path: Path, library: StepLibrary
) -> None:
    assert (
        check(
            tmp_path,
            library,
            'Feature: F\n  Background:\n    Given the variable "sku" is "A"\n'
            '  Scenario: S\n    Then the table "products" should have 1 row where "sku" is "${sku}"\n',
        )
        == []
    )


def test_outline_placeholders_are_filled_from_the_examples(
    tmp_path: Path, library: StepLibrary
) -> None:
    assert (
        check(
            tmp_path,
            library,
            "Feature: F\n  Scenario Outline: S <n>\n    Then the response status should be <status>\n"
            "    Examples:\n      | n | status |\n      | 1 | 200    |\n",
        )
        == []
    )


def test_missing_requirement_tags_and_duplicate_titles(
    tmp_path: Path, library: StepLibrary
) -> None:
    problems = check(
        tmp_path,
        library,
        'Feature: F\n  Scenario: Same\n    Given the "orders" service\n'
        '  @REQ-2\n  Scenario: Same\n    Given the "orders" service\n',
        r"REQ-\d+",
    )
    assert problems == [
        "features/x.feature:2: error: scenario 'Same' has no requirement tag (tags matching REQ-\\d+)",
        "features/x.feature:5: warning: duplicate scenario title 'Same' (also features/x.feature:2)",
    ]


def test_gherkin_syntax_errors_name_the_line(tmp_path: Path, library: StepLibrary) -> None:
    (problem,) = check(
        tmp_path, library, "Feature: F\n  Scenario: S\n    Given x\n      | a |\n      | 1 | 2 |\n"
    )
    assert problem.startswith("features/x.feature:5: error: not valid Gherkin")


def test_a_step_that_writes_data_under_then_is_warned_about(
    tmp_path: Path, library: StepLibrary
) -> None:
    problems = check(
        tmp_path,
        library,
        'Feature: F\n  Scenario: S\n    Given the "orders" service\n'
        "    Then the response status should be 200\n"
        '    And these rows exist in the table "products":\n      | sku |\n      | A   |\n',
    )
    assert problems == [
        "features/x.feature:5: warning: this step writes data but stands under Then;"
        " set up data under Given (or act under When)"
    ]


def test_a_doc_string_that_is_not_json_is_named_at_its_line(
    tmp_path: Path, library: StepLibrary
) -> None:
    problems = check(
        tmp_path,
        library,
        'Feature: F\n  Scenario: S\n    When I send a POST request to "/orders" with JSON:\n'
        '      """\n      {"sku": "${sku}", "quantity": ${n},\n       "customer": ana}\n      """\n',
    )
    assert len(problems) == 3  # the two unsaved variables, and the JSON
    assert problems[2].startswith("features/x.feature:6: error: the doc string is not JSON:")


def test_a_table_whose_header_does_not_fit_the_step(tmp_path: Path, library: StepLibrary) -> None:
    (problem,) = check(
        tmp_path,
        library,
        "Feature: F\n  Scenario: S\n    Given the request headers:\n"
        "      | header | value |\n      | X-Trace | 1 |\n",
    )
    assert problem == (
        "features/x.feature:4: error: the table's header is | header | value |;"
        " this step needs | name | value |"
    )


def test_a_doc_string_under_a_step_that_takes_none_is_named_at_its_line(
    tmp_path: Path, library: StepLibrary
) -> None:
    """Written without indentation, a stray \"\"\" swallows the next scenario up to the
    next \"\"\" into a step that ignores it: that scenario never runs."""
    (problem,) = check(
        tmp_path,
        library,
        "Feature: F\nScenario: S\n"
        'Given the "inventory" service\n'
        '"""\n'
        "Scenario: Swallowed\n"
        "Then the response status should be 599\n"
        '"""\n',
    )
    assert problem.startswith(
        "features/x.feature:4: error: this step takes no doc string, yet one starts at line 4"
    )
    assert "unclosed" in problem


def test_a_table_under_a_step_that_takes_none(tmp_path: Path, library: StepLibrary) -> None:
    (problem,) = check(
        tmp_path,
        library,
        'Feature: F\n  Scenario: S\n    Given the "shop" database\n      | sku |\n      | A   |\n',
    )
    assert problem.startswith(
        "features/x.feature:4: error: this step takes no table, yet one starts at line 4"
    )


def test_a_doc_string_left_open_at_the_end_of_the_file(
    tmp_path: Path, library: StepLibrary
) -> None:
    """behave drops it, and every scenario below its opening quotes, without a word."""
    (problem,) = check(
        tmp_path,
        library,
        'Feature: F\nScenario: S\nGiven the "inventory" service\n"""\n'
        "Scenario: Swallowed\nThen the response status should be 599\n",
    )
    assert problem == (
        "features/x.feature:4: error: not valid Gherkin: the doc string that opens at line 4"
        " is never closed: every line below it, scenarios included, is swallowed and never"
        ' runs; close it with """'
    )


def test_steps_that_take_a_doc_string_or_table_accept_one(
    tmp_path: Path, library: StepLibrary
) -> None:
    assert (
        check(
            tmp_path,
            library,
            'Feature: F\n  Scenario: S\n    Given the "inventory" service\n'
            '    When I send a POST request to "/products" with JSON:\n'
            '      """\n      {"sku": "A"}\n      """\n'
            '    Then the table "products" should contain:\n      | sku |\n      | A   |\n',
        )
        == []
    )


READS = {
    TAKES_DOC: ("context.text", "doc_string(", "doc_json("),
    TAKES_TABLE: ("context.table", "table_rows(", "name_value_rows(", "table_sources("),
}


def test_every_step_that_reads_a_doc_string_or_table_declares_it(library: StepLibrary) -> None:
    """Or the run would refuse the input the step needs (see lint.unexpected_input)."""
    undeclared = []
    for matcher in library.matchers:
        source = inspect.getsource(matcher.func)
        for marker, reads in READS.items():
            if any(read in source for read in reads) and not getattr(matcher.func, marker, False):
                undeclared.append(f"{matcher.pattern} ({marker})")
    assert undeclared == []


def test_a_missing_requirement_tag_names_the_key_and_file_that_ask_for_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from interlock import cli

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text("project: {name: p}\n")
    (tmp_path / "config" / "local.yaml").write_text("report:\n  require_requirement_tag: true\n")
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "x.feature").write_text("Feature: F\n  Scenario: S\n")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lint"]) == 1
    assert (
        "features/x.feature:2: error: scenario 'S' has no requirement tag (tags matching REQ-\\d+);"
        " report.require_requirement_tag in config/local.yaml:2 asks for one (false: tags are optional)"
    ) in capsys.readouterr().out
