"""The requirements catalog: its file formats and errors, lint's use of it, the pack's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from interlock import signoff
from interlock.config import load_config
from interlock.errors import ConfigError
from interlock.lint import StepLibrary, lint
from interlock.report import Outcome, Summary
from interlock.requirements import CatalogError, load

REPO = Path(__file__).resolve().parents[2]
TAG = re.compile(r"REQ-\d+")

CATALOG = """\
link: https://tracker.test/browse/{id}
requirements:
  - id: REQ-1
    title: Orders reserve their stock
    owner: Orders team
    priority: high
  - id: REQ-2
    title: Refused orders leave nothing behind
    link: https://elsewhere.test/2
  - id: REQ-9
    title: Nobody tests this one
"""


def test_a_yaml_catalog_gives_each_id_its_title_owner_and_link(tmp_path: Path) -> None:
    (tmp_path / "requirements.yaml").write_text(CATALOG)
    catalog = load(tmp_path, TAG)
    assert catalog.ids == ["REQ-1", "REQ-2", "REQ-9"]
    first = catalog.get("REQ-1")
    assert first is not None and first.owner == "Orders team" and first.line == 3
    assert first.link == "https://tracker.test/browse/REQ-1"  # the top-level link, filled in
    assert catalog.label("REQ-2") == "REQ-2: Refused orders leave nothing behind"
    assert catalog.get("REQ-2").link == "https://elsewhere.test/2"  # type: ignore[union-attr]
    assert catalog.label("REQ-77") == "REQ-77"
    assert catalog.near("REQ-22") == ["REQ-2"]


def test_a_csv_export_reads_the_same_and_ignores_a_tracker_s_other_columns(tmp_path: Path) -> None:
    (tmp_path / "requirements.csv").write_text(
        "\ufeffID,Title,Owner,Status\n"
        'REQ-1,"Orders reserve their stock, always",Orders team,Open\n'
        "\n"
        "REQ-2,Refused orders leave nothing behind,,Done\n"
    )
    catalog = load(tmp_path, TAG)
    assert catalog.label("REQ-1") == "REQ-1: Orders reserve their stock, always"
    assert catalog.get("REQ-2").line == 4  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("requirements.yaml",
         "- {id: REQ-1, title: A}\n- {id: REQ-2, title: B}\n- {id: REQ-1, title: C}\n",
         "requirements.yaml:3: duplicate id REQ-1 (also line 1)"),
        ("requirements.yaml", "- {id: REQ-1}\n", "requirements.yaml:1: REQ-1 has no title"),
        ("requirements.yaml", "- {id: REQ-1, titel: A}\n",
         "requirements.yaml:1: unknown field 'titel'; did you mean 'title'?"),
        ("requirements.yaml", "- {id: Login works, title: A}\n",
         "requirements.yaml:1: 'Login works' is no requirement tag"),
        ("requirements.yaml", "- id: REQ-1\n  title: [unclosed\n", "requirements.yaml:3: not valid YAML"),
        ("requirements.yaml", "requirements: REQ-1\n", "the requirements must be a list"),
        ("requirements.csv", "id,title\nREQ-1,A\nREQ-2,B,extra\n",
         "requirements.csv:3: 3 cells where the header has 2 columns"),
        ("requirements.csv", "id,summary\nREQ-1,A\n",
         "requirements.csv:1: the header row has no title column"),
        ("requirements.csv", 'id,title\nREQ-1,"A\n', "requirements.csv:2: not valid CSV"),
        ("requirements.csv", "id,title\nREQ-1,A\nREQ-1,B\n",
         "requirements.csv:3: duplicate id REQ-1 (also line 2)"),
    ],
)  # fmt: skip
def test_a_malformed_catalog_is_an_error_naming_file_and_line(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(CatalogError) as error:
        load(tmp_path, TAG)
    assert expected in str(error.value)


def test_two_catalogs_are_refused(tmp_path: Path) -> None:
    (tmp_path / "requirements.yaml").write_text("- {id: REQ-1, title: A}\n")
    (tmp_path / "requirements.csv").write_text("id,title\nREQ-1,A\n")
    with pytest.raises(CatalogError, match="two requirements catalogs"):
        load(tmp_path, TAG)


@pytest.mark.parametrize("key", ["requirements: [REQ-1]", "requirement_url: https://x/{id}"])
def test_the_old_config_keys_are_refused_with_a_hint_to_the_catalog(
    tmp_path: Path, key: str
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text(f"report:\n  {key}\n")
    (tmp_path / "config" / "local.yaml").write_text("")
    with pytest.raises(ConfigError) as error:
        load_config(tmp_path, environ={})
    message = str(error.value)
    assert f"config/default.yaml:2: report.{key.split(':')[0]} is no longer a config key" in message
    assert "requirements.yaml" in message


# -- lint ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def library() -> StepLibrary:
    return StepLibrary.load(REPO / "steps")


def test_lint_refuses_an_unknown_tag_and_lists_untested_requirements(
    tmp_path: Path, library: StepLibrary
) -> None:
    (tmp_path / "requirements.yaml").write_text(CATALOG)
    feature = tmp_path / "features" / "x.feature"
    feature.parent.mkdir()
    feature.write_text(
        'Feature: F\n  @REQ-1\n  Scenario: A\n    Given the "orders" service\n'
        '  @REQ-22\n  Scenario: B\n    Given the "orders" service\n'
    )
    catalog = load(tmp_path, TAG)
    problems = [str(p) for p in lint(tmp_path, [feature], library, TAG, catalog=catalog)]
    assert problems == [
        "features/x.feature:6: error: @REQ-22 is not in requirements.yaml (the requirements"
        " catalog); did you mean REQ-2?",
        "requirements.yaml:7: warning: REQ-2: Refused orders leave nothing behind: no scenario"
        " names it (tag one @REQ-2): untested",
        "requirements.yaml:10: warning: REQ-9: Nobody tests this one: no scenario names it"
        " (tag one @REQ-9): untested",
    ]
    # Linting some files only: what they do not name may be tested elsewhere.
    some = [str(p) for p in lint(tmp_path, [feature], library, None, catalog=catalog, whole_suite=False)]
    assert some == [problems[0]]


# -- the pack -----------------------------------------------------------------------------


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "default.yaml").write_text(
        "report:\n  verdict: [no failures, every requirement tested]\n"
    )
    (tmp_path / "config" / "local.yaml").write_text("")
    (tmp_path / "requirements.yaml").write_text(CATALOG)
    return tmp_path


def passed(line: int, *tags: str) -> Outcome:
    return Outcome("s", f"features/x.feature:{line}", "passed", "", frozenset(tags), stop=1)


def test_the_pack_shows_titles_and_untested_and_unknown_requirements_break_the_verdict(
    suite: Path,
) -> None:
    config = load_config(suite, environ={})
    pack = signoff.build(config, Summary([passed(3, "REQ-1"), passed(7, "REQ-2", "REQ-22")]), {})
    assert pack.data["requirements"]["REQ-1"]["title"] == "Orders reserve their stock"
    assert pack.data["requirements"]["REQ-1"]["owner"] == "Orders team"
    assert pack.data["untested_requirements"] == ["REQ-9"]
    assert pack.data["unknown_requirements"] == ["REQ-22"]
    assert pack.data["verdict"] == "NOT ACCEPTED"
    assert "requirements without a scenario: REQ-9: Nobody tests this one" in pack.data["reasons"]
    assert (
        "requirement tags the catalog does not list: REQ-22 (add them to requirements.yaml,"
        " or fix the tags)" in pack.data["reasons"]
    )
    page = signoff.render(pack.data)
    assert "<b>REQ-1</b></a> Orders reserve their stock" in page
    assert "https://tracker.test/browse/REQ-1" in page
    assert "Untested requirements: REQ-9: Nobody tests this one" in page


def test_every_requirement_tested_and_listed_is_accepted(suite: Path) -> None:
    config = load_config(suite, environ={})
    outcomes = [passed(3, "REQ-1"), passed(7, "REQ-2"), passed(9, "REQ-9")]
    pack = signoff.build(config, Summary(outcomes), {})
    assert pack.data["reasons"] == [] and pack.accepted
