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


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        pytest.param(
            "Feature: F\n  @REQ-1\n  Scenario: S\n"
            '    Given the "shop" database\n'
            '    And I save the column "id" of the table "orders" where "ref" is "x" as "order_id"\n'
            '    Then the table "orders" should have 1 row where "id" is "${order_id}"\n',
            r"REQ-\d+",
            id="a_clean_feature_has_no_problem",
        ),
        pytest.param(
            'Feature: F\n  Background:\n    Given the variable "sku" is "A"\n'
            '  Scenario: S\n    Then the table "products" should have 1 row where "sku" is "${sku}"\n',
            None,
            id="background_variables_count_for_every_scenario",
        ),
        pytest.param(
            "Feature: F\n  Scenario Outline: S <n>\n    Then the response status should be <status>\n"
            "    Examples:\n      | n | status |\n      | 1 | 200    |\n",
            None,
            id="outline_placeholders_are_filled_from_the_examples",
        ),
        pytest.param(
            'Feature: F\n  Scenario: S\n    Given the "inventory" service\n'
            '    When I send a POST request to "/products" with JSON:\n'
            '      """\n      {"sku": "A"}\n      """\n'
            '    Then the table "products" should contain:\n      | sku |\n      | A   |\n',
            None,
            id="steps_that_take_a_doc_string_or_table_accept_one",
        ),
        pytest.param(
            "Feature: F\n  Scenario: S\n"
            "    Given the shop has 5 desk lamps in stock\n    When Ben orders 1 mug\n"
            "    Then Ben's order is refused because the shop does not have enough in stock\n",
            None,
            id="plural_products_and_known_reasons_are_accepted",
        ),
    ],
)
def test_a_feature_lint_accepts_has_no_problem(
    tmp_path: Path, library: StepLibrary, text: str, tag: str | None
) -> None:
    assert check(tmp_path, library, text, tag) == []


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Feature: F\n  Scenario: S\n    Given the request headers:\n"
            "      | header | value |\n      | X-Trace | 1 |\n",
            "features/x.feature:4: error: the table's header is | header | value |;"
            " this step needs | name | value |",
            id="a_table_whose_header_does_not_fit_the_step",
        ),
        # behave drops it, and every scenario below its opening quotes, without a word.
        pytest.param(
            'Feature: F\nScenario: S\nGiven the "inventory" service\n"""\n'
            "Scenario: Swallowed\nThen the response status should be 599\n",
            "features/x.feature:4: error: not valid Gherkin: the doc string that opens at line 4"
            " is never closed: every line below it, scenarios included, is swallowed and never"
            ' runs; close it with """',
            id="a_doc_string_left_open_at_the_end_of_the_file",
        ),
        pytest.param(
            'Feature: F\n  Scenario Outline: S\n    Given the "<name>" service\n'
            "    Examples:\n      | name |\n",
            "features/x.feature:2: warning: this Scenario Outline has no Examples rows,"
            " so it never runs",
            id="an_outline_without_rows_never_runs",
        ),
    ],
)
def test_a_feature_with_one_problem_names_it(
    tmp_path: Path, library: StepLibrary, text: str, expected: str
) -> None:
    (problem,) = check(tmp_path, library, text)
    assert problem == expected


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


# -- the cases an analyst met (issue 17): never a traceback, always file:line -------------

SHOP = "Feature: F\n  Scenario: S\n"


def test_an_unknown_product_is_named_with_the_known_ones(
    tmp_path: Path, library: StepLibrary
) -> None:
    """It crashed lint and the run with a TypeError: no file, no line."""
    problems = check(
        tmp_path,
        library,
        SHOP
        + "    Given the shop has 5 office chairs in stock\n    When Ana orders 1 office chair\n",
    )
    assert problems == [
        "features/x.feature:3: error: 'office chairs' is not a product."
        " Known products: desk lamp, mug, oak desk;"
        " write one of them (the products are declared in steps/shop_steps.py)",
        "features/x.feature:4: error: 'office chair' is not a product."
        " Known products: desk lamp, mug, oak desk;"
        " write one of them (the products are declared in steps/shop_steps.py)",
    ]


def test_a_misspelled_product_or_reason_gets_the_closest_known_one(
    tmp_path: Path, library: StepLibrary
) -> None:
    problems = check(
        tmp_path,
        library,
        SHOP + "    When Ana orders 2 desk lamsp\n"
        "    Then Ana's order is refused because the shop does not sel it\n",
    )
    assert len(problems) == 2
    assert problems[0].startswith(
        "features/x.feature:3: error: 'desk lamsp' is not a product; did you mean 'desk lamp'?"
        " Known products: desk lamp, mug, oak desk"
    )
    assert problems[1].startswith(
        "features/x.feature:4: error: 'the shop does not sel it' is not a reason;"
        " did you mean 'the shop does not sell it'? Known reasons:"
    )


def test_misspelled_domain_steps_get_domain_suggestions(
    tmp_path: Path, library: StepLibrary
) -> None:
    """Edit distance alone found nothing: the parameters' values are long."""
    problems = check(
        tmp_path,
        library,
        SHOP + "    When Dora order 1 desk lamp\n    Then the shop has 3 desk lamps remaining\n",
    )
    assert problems[0] == (
        "features/x.feature:3: error: undefined step: 'Dora order 1 desk lamp';"
        " did you mean: <customer> orders <count> <product>"
    )
    assert problems[1].startswith(
        "features/x.feature:4: error: undefined step: 'the shop has 3 desk lamps remaining';"
        " did you mean: the shop has <count> <product> left"
    )


OUTLINE = (
    "Feature: F\n"
    "  Scenario Outline: Ordering <quantity>\n"
    '    Given the "orders" service\n'
    '    When I send a POST request to "/orders" with JSON:\n'
    '      """\n'
    '      {"sku": "LAMP-${unique}", "quantity": <quantity>}\n'
    '      """\n'
    "    Then the response status should be <status>\n"
    "    Examples:\n"
    "      | quantity | status |\n"
    "      | 1        | 201    |\n"
    "      | 1000     | 409    |\n"
)


def test_an_outline_placeholder_in_a_json_doc_string_is_filled_per_row(
    tmp_path: Path, library: StepLibrary
) -> None:
    """behave fills it in before the step runs; lint used to call the doc string not JSON."""
    assert check(tmp_path, library, OUTLINE) == []


def test_an_outline_row_that_makes_the_json_invalid_is_named(
    tmp_path: Path, library: StepLibrary
) -> None:
    (problem,) = check(tmp_path, library, OUTLINE + "      | two      | 422    |\n")
    assert problem.startswith("features/x.feature:6: error: the doc string is not JSON:")
    assert problem.endswith("(with the Examples row at line 13)")


def test_an_outline_row_with_an_unknown_product_is_named(
    tmp_path: Path, library: StepLibrary
) -> None:
    (problem,) = check(
        tmp_path,
        library,
        "Feature: F\n  Scenario Outline: Ordering a <product>\n"
        "    When Ana orders 1 <product>\n"
        "    Examples:\n      | product      |\n      | mug          |\n      | office chair |\n",
    )
    assert problem.startswith("features/x.feature:3: error: 'office chair' is not a product.")
    assert problem.endswith("(with the Examples row at line 7)")


def test_a_placeholder_no_column_fills_is_named(tmp_path: Path, library: StepLibrary) -> None:
    (problem,) = check(
        tmp_path,
        library,
        "Feature: F\n  Scenario Outline: S\n    Then the response status should be <staus>\n"
        "    Examples:\n      | status |\n      | 200    |\n",
    )
    assert "(no Examples column is named staus; the columns: status)" in problem


# -- every parameter type, fed values it refuses ------------------------------------------

# For each registered type: a step that uses it, with a value the type refuses (by its
# pattern: an undefined step; by its converter: a named value).
REFUSED = {
    "Quoted": ('the "inventory" service', 'the "inv"entory" service', "undefined step"),
    "Int": (
        "the shop has 5 mugs in stock",
        "the shop has " + "9" * 5000 + " mugs in stock",
        "is not a whole number (5000 digits: far more than any count or status)",
    ),
    "IntOrVariable": (
        'the table "orders" should have 1 row',
        'the table "orders" should have ${} rows',
        "undefined step",
    ),
    "Method": (
        'I send a GET request to "/health"',
        'I send a FETCH request to "/health"',
        "undefined step",
    ),
    "Json": (
        'the response field "sku" should be "A"',
        'the response field "sku" should be ',
        "undefined step",
    ),
    "Product": ("Ana orders 1 mug", "Ana orders 1 office chair", "is not a product"),
    "Customer": ("Ana orders 1 mug", "ana orders 1 mug", "undefined step"),
    "Refusal": (
        "Ana's order is refused because the shop does not sell it",
        "Ana's order is refused because it is Sunday",
        "is not a reason",
    ),
}


def test_every_registered_parameter_type_has_a_refused_value_here(library: StepLibrary) -> None:
    from behave.matchers import ParseMatcher

    assert sorted(ParseMatcher.TYPE_REGISTRY) == sorted(REFUSED)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_value_a_parameter_type_refuses_is_a_problem_at_its_line(
    tmp_path: Path, library: StepLibrary, name: str
) -> None:
    accepted, refused, said = REFUSED[name]
    assert library.matches(accepted), f"{accepted!r} should use {name}"
    (problem,) = check(tmp_path, library, f"Feature: F\n  Scenario: S\n    Given {refused}\n")
    assert problem.startswith("features/x.feature:3: error: ")
    assert said in problem


def _library_of(pattern: str, types: dict[str, object]) -> StepLibrary:
    from behave.matchers import ParseMatcher

    def step_impl(context: object, **_: object) -> None:
        """A step."""

    return StepLibrary([ParseMatcher(step_impl, pattern, custom_types=types)])


def test_a_parameter_type_with_a_defect_is_named_not_raised(tmp_path: Path) -> None:
    def broken(text: str) -> object:
        return None + text  # type: ignore[operator]

    broken.pattern = r"\w+"  # type: ignore[attr-defined]
    library = _library_of("a thing {x:Broken}", {"Broken": broken})
    (problem,) = check(tmp_path, library, "Feature: F\n  Scenario: S\n    Given a thing lamp\n")
    assert problem.startswith("features/x.feature:3: error: the step definition ")
    assert "could not read this step's parameters: TypeError: unsupported operand" in problem
    assert "a defect of its parameter type, not of the feature" in problem


def test_a_matcher_that_raises_is_named_not_raised(tmp_path: Path) -> None:
    class Exploding:
        pattern = "anything"
        func = None
        location = None

        def match(self, text: str) -> object:
            raise RuntimeError("the matcher broke")

    library = StepLibrary([Exploding()])
    (problem,) = check(tmp_path, library, "Feature: F\n  Scenario: S\n    Given anything\n")
    assert problem.startswith("features/x.feature:3: error: the step definition ")
    assert "failed on this step: RuntimeError: the matcher broke" in problem


def test_a_rule_that_raises_is_a_problem_at_the_step(
    tmp_path: Path, library: StepLibrary, monkeypatch: pytest.MonkeyPatch
) -> None:
    from interlock import lint as lint_module

    def broken(*_: object) -> None:
        raise KeyError("rule")

    monkeypatch.setattr(lint_module, "_check_inputs", broken)
    (problem,) = check(
        tmp_path, library, 'Feature: F\n  Scenario: S\n    Given the "shop" database\n'
    )
    assert problem.startswith(
        "features/x.feature:3: error: lint could not check this step: KeyError"
    )


# -- bad input: named with file:line, never a traceback -----------------------------------


def check_bytes(tmp_path: Path, library: StepLibrary, data: bytes) -> list[str]:
    path = tmp_path / "features" / "x.feature"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return [str(p) for p in lint(tmp_path, [path], library)]


def test_binary_bytes_are_named(tmp_path: Path, library: StepLibrary) -> None:
    (problem,) = check_bytes(tmp_path, library, b"Feature: F\n\x89PNG\r\n\x1a\n\x00\x00\xff\xd8")
    assert problem.startswith("features/x.feature:2: error: not valid Gherkin: not UTF-8 text")


def test_non_utf8_text_is_named_at_its_line(tmp_path: Path, library: StepLibrary) -> None:
    data = 'Feature: F\n  Scenario: Caf\xe9\n    Given the "shop" database\n'.encode("latin-1")
    assert check_bytes(tmp_path, library, data) == [
        "features/x.feature:2: error: not valid Gherkin: not UTF-8 text: byte 0xe9 at line 2;"
        " save the file as UTF-8"
    ]


def test_a_control_character_in_utf8_text_is_named(tmp_path: Path, library: StepLibrary) -> None:
    data = b'Feature: F\n  Scenario: S\n    Given the "shop"\x00 database\n'
    problems = check_bytes(tmp_path, library, data)
    assert problems[0] == (
        "features/x.feature:3: error: a control character (byte 0x00) at line 3:"
        " this is not a text file, or it was damaged; remove the character"
    )


def test_tabs_in_a_table_are_read_like_spaces(tmp_path: Path, library: StepLibrary) -> None:
    assert (
        check(
            tmp_path,
            library,
            'Feature: F\n  Scenario: S\n\tGiven these rows exist in the table "products":\n'
            "\t\t| sku\t| stock\t|\n\t\t|\tA\t|\t1\t|\n",
        )
        == []
    )


def test_a_doc_string_nested_too_deeply_is_named(tmp_path: Path, library: StepLibrary) -> None:
    (problem,) = check(
        tmp_path,
        library,
        'Feature: F\n  Scenario: S\n    When I send a POST request to "/orders" with JSON:\n'
        '      """\n      ' + "[" * 100_000 + '\n      """\n',
    )
    assert (
        problem
        == "features/x.feature:5: error: the doc string is not JSON: nested too deeply to read"
    )


def test_a_feature_outside_the_project_is_named_by_its_path(
    tmp_path: Path, library: StepLibrary
) -> None:
    path = tmp_path / "elsewhere.feature"
    path.write_text("Feature: F\n  Scenario: S\n    Given nothing like a step\n")
    (problem,) = lint(tmp_path / "project", [path], library)
    assert str(problem).startswith(f"{path}:3: error: undefined step")


def test_a_valid_5_mb_feature_lints_clean(tmp_path: Path, library: StepLibrary) -> None:
    blocks = []
    size = 0
    while size < 5_000_000:
        i = len(blocks)
        block = (
            f"\n  Scenario: Product {i} is stocked\n"
            f'    Given these rows exist in the table "products":\n'
            f"      | sku | name | price | stock |\n"
            f"      | P{i}-${{unique}} | Product {i} | 9.90 | {i % 50} |\n"
            f'    When I send a GET request to "/products/P{i}-${{unique}}"\n'
            f"    Then the response status should be 200\n"
            f'    And the response field "stock" should be {i % 50}\n'
        )
        blocks.append(block)
        size += len(block)
    # Its speed (about 6 s here) is a benchmark's business, not a timed test's.
    assert check(tmp_path, library, "Feature: Big\n" + "".join(blocks)) == []


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
    monkeypatch.delenv("INTERLOCK_ENV", raising=False)  # CI sets it: this suite has only local
    assert cli.main(["lint"]) == 1
    assert (
        "features/x.feature:2: error: scenario 'S' has no requirement tag (tags matching REQ-\\d+);"
        " report.require_requirement_tag in config/local.yaml:2 asks for one (false: tags are optional)"
    ) in capsys.readouterr().out
