"""The language server's logic without the server: where steps are in a text, completion,
hover, definition, and diagnostics that never raise."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from behave.matchers import ParseMatcher

from interlock import lsp
from interlock.lint import StepLibrary, json_doc_string, table_headers
from interlock.step_types import register

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project() -> lsp.Project:
    return lsp.Project.load(REPO)


def step_count_things(context, count, thing):  # type: ignore[no-untyped-def]
    """Counts the things.

    Counting stops at the first
    thing that is not there.

    Zero is a count too.
    """


def step_only_then(context):  # type: ignore[no-untyped-def]
    pass


@table_headers("name", "value")
def step_a_table(context):  # type: ignore[no-untyped-def]
    """Takes a table."""


@json_doc_string
def step_with_json(context):  # type: ignore[no-untyped-def]
    """Takes JSON."""


@pytest.fixture(scope="module")
def index() -> lsp.StepIndex:
    register()
    matchers = [
        ParseMatcher(step_count_things, 'I count {count:Int} "{thing:Quoted}" things', "step"),
        ParseMatcher(step_only_then, "nothing is left", "then"),
        ParseMatcher(step_a_table, "the table", "step"),
        ParseMatcher(step_a_table, "the table:", "step"),
        ParseMatcher(step_with_json, "I post {method:Method} $1 {{JSON}}:", "step"),
    ]
    return lsp.StepIndex.build(StepLibrary(matchers), {})


# -- where the steps are ----------------------------------------------------------------------


def test_lines_end_as_lsp_says() -> None:
    assert lsp.split_lines("a\r\nb\rc\nd") == ["a", "b", "c", "d"]
    assert lsp.split_lines("a\x0cb\u2028c") == ["a\x0cb\u2028c"]  # not line ends for LSP


def test_a_step_line_gives_its_keyword_type_and_text() -> None:
    lines = lsp.split_lines(
        "Feature: F\n"
        "  Scenario: S\n"
        '    Given the "shop" service  \n'
        "    And I count 3 things\n"
        "    When\tI se\n"
        "    Then it works\n"
        "    But  not this\n"
        "    *\n"
    )
    assert lsp.step_at(lines, 0) is None
    assert lsp.step_at(lines, 1) is None
    assert lsp.step_at(lines, 2) == lsp.StepLine("Given", "given", 'the "shop" service', 10)
    assert lsp.step_at(lines, 3) == lsp.StepLine("And", "given", "I count 3 things", 8)
    assert lsp.step_at(lines, 4) == lsp.StepLine("When", "when", "I se", 9)
    assert lsp.step_at(lines, 6) == lsp.StepLine("But", "then", "not this", 9)
    assert lsp.step_at(lines, 7) == lsp.StepLine("*", "then", "", 5)
    assert lsp.step_at(lines, 99) is None
    assert lsp.step_at(lines, -1) is None


def test_doc_strings_tables_and_comments_hold_no_step() -> None:
    lines = lsp.split_lines(
        "Feature: F\n  Scenario: S\n    Given x:\n"
        '      """\n      Given not a step\n      """\n'
        "    Then y:\n      ```\n      When nor this\n      ```\n"
        "      | Given | a cell |\n    # Given a comment\n  Scenario: T\n    And z\n"
    )
    assert [lsp.step_at(lines, n) is not None for n in range(len(lines))] == [
        False, False, True, False, False, False, True, False, False, False, False, False, False,
        True, False,
    ]  # fmt: skip
    assert lsp.step_at(lines, 13) == lsp.StepLine("And", "given", "z", 8)  # a new scenario


def test_an_unclosed_doc_string_holds_every_line_after_it() -> None:
    lines = lsp.split_lines('Feature: F\n  Scenario: S\n    Given x:\n      """\n    When y\n')
    assert lsp.step_at(lines, 4) is None


# -- snippets -----------------------------------------------------------------------------------


def test_a_snippet_has_a_placeholder_per_parameter() -> None:
    assert (
        lsp.snippet('I send a {method:Method} request to "{path:Quoted}"')
        == 'I send a ${1:GET} request to "${2:path}"'
    )
    assert lsp.snippet("costs $5 {n:Int} {{x}}") == "costs \\$5 ${1:n} {x\\}"
    assert lsp.snippet("x {n:Int} y {m}", values=["12", "a}b"]) == "x ${1:12} y ${2:a\\}b}"


def test_a_snippet_lays_out_the_table_or_json_a_step_needs(index: lsp.StepIndex) -> None:
    assert lsp.snippet("the table:", step_a_table) == (
        "the table:\n  | name | value |\n  | ${1:name} | ${2:value} |"
    )
    assert lsp.snippet("the table", step_a_table) == "the table"
    assert (
        lsp.snippet("with {m:Method}:", step_with_json)
        == 'with ${1:GET}:\n  """\n  ${2:{\\}}\n  """'
    )


# -- completion -----------------------------------------------------------------------------


def labels(found: list[tuple[lsp.Phrase, str]]) -> list[str]:
    return [phrase.phrase for phrase, _ in found]


def test_completion_offers_what_the_typed_text_can_become(project: lsp.Project) -> None:
    found = project.index.complete("I se", "when")
    assert found
    assert all(phrase.startswith("I send a <method> request to") for phrase in labels(found))
    snippets = dict((p.phrase, s) for p, s in found)
    assert snippets['I send a <method> request to "<path>"'] == (
        'I send a ${1:GET} request to "${2:path}"'
    )
    assert labels(project.index.complete("i SE", "when")) == labels(found)  # any case


def test_completion_keeps_the_values_already_typed(project: lsp.Project) -> None:
    found = dict(
        (p.phrase, s) for p, s in project.index.complete('I send a POST request to "/p" with J')
    )
    assert found == {
        'I send a <method> request to "<path>" with JSON:': (
            'I send a ${1:POST} request to "${2:/p}" with JSON:\n  """\n  ${3:{\\}}\n  """'
        ),
    }
    found = dict(
        (p.phrase, s) for p, s in project.index.complete('I send a PUT request to "/" with t')
    )
    assert found == {
        'I send a <method> request to "<path>" with the JSON file "<file>"': (
            'I send a ${1:PUT} request to "${2:/}" with the JSON file "${3:file}"'
        ),
    }


def test_a_parameter_takes_only_what_its_type_accepts(project: lsp.Project) -> None:
    # <customer> is a capitalised first name: "I se" is not one, "Ana" is
    assert not [p for p in labels(project.index.complete("I se")) if p.startswith("<customer>")]
    assert labels(project.index.complete("Ana ord")) == ["<customer> orders <count> <product>"]
    assert labels(project.index.complete("I send a PO")) == labels(
        project.index.complete("I send a ")
    )  # a method being typed
    assert labels(project.index.complete("I send a PUSH ")) == []
    assert len(labels(project.index.complete('the table "orders" should have 3 r'))) == 4


def test_completion_falls_back_to_the_words_typed(project: lsp.Project) -> None:
    assert labels(project.index.complete("status should")) == [
        "the response status should be <status>"
    ]
    assert project.index.complete("zzz qqq") == []


def test_completion_offers_one_of_a_step_with_and_without_its_colon(
    index: lsp.StepIndex,
) -> None:
    assert labels(index.complete("the ta")) == ["the table:"]


def test_completion_honours_a_step_bound_to_a_keyword(index: lsp.StepIndex) -> None:
    assert labels(index.complete("nothing", "then")) == ["nothing is left"]
    assert labels(index.complete("nothing", "given")) == []


# -- hover and definition ----------------------------------------------------------------------


def test_hover_explains_the_step_with_its_parameters_and_an_example(
    index: lsp.StepIndex,
) -> None:
    text = index.hover('I count 3 "red" things')
    assert text == (
        '**I count <count> "<thing>" things**  (Test Lsp)\n\n'
        "Counts the things.\n\n"
        "Counting stops at the first\nthing that is not there.\n\nZero is a count too.\n\n"
        "Parameters: `count` (whole number), `thing` (text).\n\n"
        'Example: `I count <count> "<thing>" things`'
    )


def test_hover_takes_its_example_from_the_features(project: lsp.Project) -> None:
    text = project.index.hover("the response status should be 404")
    assert text is not None
    assert text.startswith("**the response status should be <status>**  (HTTP)")
    assert re.search(r"Example: `the response status should be \d+`", text)


def test_hover_on_an_undefined_step_suggests_phrasings(project: lsp.Project) -> None:
    text = project.index.hover("the respons status should be 200")
    assert text == (
        "**No step matches this text.** Did you mean:\n- `the response status should be <status>`"
    )  # one clear winner: the others share fewer words (interlock.suggest)
    assert lsp.StepIndex().hover("anything") is None  # no steps loaded


def test_definition_is_the_decorator_of_the_phrase(index: lsp.StepIndex) -> None:
    file, line = index.definition('I count 1 "x" things') or ("", 0)
    assert file == str(Path(__file__).resolve())
    assert line == inspect.getsourcelines(step_count_things)[1]
    assert index.definition("no such step") is None


def test_definition_of_an_alias_is_its_own_decorator(project: lsp.Project) -> None:
    plain = project.index.definition("the request headers")
    colon = project.index.definition("the request headers:")
    assert plain and colon and plain[0].endswith("interlock_steps/http_steps.py")
    lines = Path(plain[0]).read_text().splitlines()
    assert lines[colon[1] - 1] == '@step("the request headers:")'
    assert lines[plain[1] - 1] in ('@step("the request headers")', '@step("the request headers:")')


# -- diagnostics ---------------------------------------------------------------------------


def test_diagnostics_are_lint_of_the_unsaved_text(project: lsp.Project) -> None:
    text = "Feature: F\n  @REQ-1\n  Scenario: S\n    Then the respons status should be 200\n"
    (problem,) = project.diagnose(REPO / "features" / "unsaved.feature", text)
    assert str(problem).startswith("features/unsaved.feature:4: error: undefined step")


def test_diagnostics_never_raise(project: lsp.Project, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("'NoneType' object is not iterable")

    monkeypatch.setattr(lsp, "lint_text", broken)
    (problem,) = project.diagnose(REPO / "features" / "x.feature", "Feature: F\n")
    assert str(problem) == (
        "features/x.feature:1: error: lint could not check this file:"
        " TypeError: 'NoneType' object is not iterable"
    )


def test_a_feature_outside_the_project_is_named_by_its_file(
    project: lsp.Project, tmp_path: Path
) -> None:
    (problem,) = project.diagnose(tmp_path / "away.feature", "Scenario: S\n")
    assert str(problem).startswith("away.feature:1: error: not valid Gherkin")


def test_without_a_project_only_syntax_is_checked(tmp_path: Path) -> None:
    alone = lsp.Project.load(tmp_path)
    assert alone.library is None
    assert alone.notes and "only Gherkin syntax is checked" in alone.notes[0]
    path = tmp_path / "x.feature"
    assert alone.diagnose(path, "Feature: F\n  Scenario: S\n    Given anything at all\n") == []
    (problem,) = alone.diagnose(path, "Scenario: S\n")
    assert str(problem).startswith("x.feature:1: error: not valid Gherkin")
    assert alone.index.complete("I se") == []


# -- outlines ---------------------------------------------------------------------------------

OUTLINE = lsp.split_lines(
    "Feature: F\n"
    "  Scenario Outline: Refusing <count>\n"
    "    When Dora orders <count> desk lamps\n"
    '      """\n      Scenario: not a section\n      """\n'
    "    Then the response status should be <status>\n\n"
    "    Examples: too many\n"
    "      | count | status |\n"
    "      | 2     | 409    |\n"
    "      | 3     | 409    |\n"
    "  Scenario: plain\n"
    "    When Dora orders <count> desk lamps\n"
)


def test_an_outline_step_is_read_with_its_first_example() -> None:
    assert lsp.outline_values(OUTLINE, 2) == {"count": "2", "status": "409"}
    assert lsp.with_examples("Dora orders <count> desk lamps", OUTLINE, 2) == (
        "Dora orders 2 desk lamps"
    )
    assert lsp.outline_values(OUTLINE, 14) == {}  # a scenario after the Outline has none
    assert lsp.with_examples("the <x> stays", OUTLINE, 14) == "the <x> stays"


def test_hover_and_definition_of_an_outline_step(project: lsp.Project) -> None:
    text = lsp.with_examples("Dora orders <count> desk lamps", OUTLINE, 2)
    assert (project.index.hover(text) or "").startswith("**<customer> orders <count> <product>**")
    assert project.index.definition(text) is not None
    assert (project.index.hover("Dora orders <count> desk lamps") or "").startswith(
        "**No step matches"
    )  # unfilled, <count> is no whole number


def test_completion_accepts_an_outline_placeholder_for_any_parameter(
    project: lsp.Project,
) -> None:
    # A product is one of the catalogue's words (steps/shop_steps.py), so the line names one.
    assert [s for _, s in project.index.complete("Dora orders <count> desk lamp")] == [
        "${1:Dora} orders ${2:<count>} ${3:desk lamp}"
    ]


def test_lint_text_lints_as_the_file_would(project: lsp.Project, tmp_path: Path) -> None:
    from interlock.lint import lint, lint_text

    assert project.library is not None
    text = (
        "Feature: F\n  Scenario: S\n    Then the respons status should be 200\n"
        '    And the response field "id" should be "${nobody}"\n  Scenario: S\n'
    )
    path = tmp_path / "features" / "x.feature"
    path.parent.mkdir()
    path.write_text("Feature: something else entirely\n")  # the editor's text wins
    in_memory = lint_text(tmp_path, path, text, project.library)
    path.write_text(text)
    assert in_memory == lint(tmp_path, [path], project.library)
    assert len(in_memory) == 3


def test_a_config_that_does_not_load_still_gives_steps(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text("report: [unclosed\n")
    (tmp_path / "config" / "local.yaml").write_text("{}\n")
    (tmp_path / "steps").mkdir()
    loaded = lsp.Project.load(tmp_path)
    assert loaded.root == tmp_path.resolve()
    (note,) = loaded.notes
    assert note.startswith("interlock: config not read (")
    assert note.endswith("); requirement tags are not checked")
    assert loaded.library is not None
    assert loaded.requirement_tag is None
