"""Each behave process builds only the scenarios it runs (interlock.pruning)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from behave.model import ScenarioOutline
from behave.parser import parse_file
from behave.runner_util import FileLocationParser
from behave.runner_util import parse_features as behave_parse_features

from interlock import pruning, selection
from interlock.workers import RUNNER, Batch, BehaveCommand

FEATURE = """\
@area
Feature: Big
  Background:
    Given the variable "b" is "1"

  Scenario: plain one
    Given the variable "v" is "1"

  @setup
  Scenario: prepare
    Given the variable "v" is "2"

  Scenario Outline: row <n>
    Given the variable "v" is "<n>"
    Examples: first
      | n |
      | 1 |
      | 2 |
    @more
    Examples: second
      | n |
      | 3 |

  Scenario: plain two
    Given the variable "v" is "4"

  @teardown
  Scenario: tidy up
    Given the variable "v" is "9"

  @ruled
  Rule: a rule
    Background:
      Given the variable "r" is "1"

    Scenario: in the rule
      Given the variable "v" is "5"

    Scenario Outline: ruled row <n>
      Given the variable "<n>" is "<n>"
      Examples:
        | n |
        | 6 |
        | 7 |

  Rule: an empty-handed rule
    Scenario: in the second rule
      Given the variable "v" is "8"
"""


@pytest.fixture
def feature_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # behave writes filenames relative to the working folder
    path = tmp_path / "features" / "big.feature"
    path.parent.mkdir()
    path.write_text(FEATURE)
    return path


def lines_of(path: Path) -> dict[str, int]:
    """Each scenario's (and row's) title -> its line, from the file's text."""
    found: dict[str, int] = {}
    for number, text in enumerate(path.read_text().splitlines(), 1):
        stripped = text.strip()
        if stripped.startswith(("Scenario:", "Scenario Outline:")):
            found[stripped.split(":", 1)[1].strip()] = number
        elif stripped.startswith("|") and stripped.strip("| ").isdigit():
            found[f"row {stripped.strip('| ')}"] = number
    return found


def at(path: Path, line: int | None = None) -> Any:
    """A location as behave reads it from an @listing (``file:line``)."""
    return FileLocationParser.parse(f"{path}:{line}" if line else str(path))


def where(scenario: Any) -> tuple[str, int, str]:
    return (scenario.location.filename, scenario.location.line, selection.scenario_title(scenario))


def ran(features: list[Any]) -> list[tuple[str, int, str]]:
    """What behave runs of these features: every scenario not marked skipped."""
    return [where(s) for f in features for s in f.walk_scenarios() if not s.should_skip]


def test_only_the_selected_scenarios_are_built_with_their_own_file_and_line(
    feature_file: Path,
) -> None:
    line = lines_of(feature_file)
    feature = parse_file(str(feature_file))
    pruned = pruning.prune(feature, [line["plain two"], line["in the rule"]])
    titles = [where(s) for s in pruned.walk_scenarios()]
    # @setup and @teardown scenarios run though not selected, as behave runs them.
    assert titles == [
        ("features/big.feature", line["prepare"], "prepare"),
        ("features/big.feature", line["plain two"], "plain two"),
        ("features/big.feature", line["tidy up"], "tidy up"),
        ("features/big.feature", line["in the rule"], "in the rule"),
    ]
    # A Rule none of whose scenarios is selected is not built; the selected one is, with
    # only its selected scenario, and the Outline with no selected row is left out.
    assert [r.name for r in pruned.rules] == ["a rule"]
    assert [s.name for s in pruned.rules[0].run_items] == ["in the rule"]
    assert not any(isinstance(x, ScenarioOutline) for x in pruned.run_items)


def test_an_outline_keeps_only_its_selected_rows(feature_file: Path) -> None:
    line = lines_of(feature_file)
    pruned = pruning.prune(parse_file(str(feature_file)), [line["row 3"], line["row 7"]])
    built = [where(s) for s in pruned.walk_scenarios() if not {"setup", "teardown"} & set(s.tags)]
    assert built == [
        ("features/big.feature", line["row 3"], "row 3 — n=3"),
        ("features/big.feature", line["row 7"], "ruled row 7 — n=7"),
    ]
    outline = next(x for x in pruned.run_items if isinstance(x, ScenarioOutline))
    assert [s.location.line for s in outline.scenarios] == [line["row 3"]]
    assert outline.location.line == line["row <n>"]
    row = outline.scenarios[0]
    assert row.parent is outline and row.feature is pruned
    assert "more" in row.tags  # the Examples' tags stay on its row
    assert row.effective_tags >= {"area", "more"}
    ruled = pruned.rules[0].run_items[0]
    assert [s.location.line for s in ruled.scenarios] == [line["row 7"]]
    assert ruled.scenarios[0].effective_tags >= {"area", "ruled"}


def test_an_outline_line_selects_all_its_rows_and_a_rule_line_all_its_scenarios(
    feature_file: Path,
) -> None:
    line = lines_of(feature_file)
    rule_line = FEATURE.splitlines().index("  Rule: an empty-handed rule") + 1
    pruned = pruning.prune(parse_file(str(feature_file)), [line["row <n>"], rule_line])
    names = [selection.scenario_title(s) for s in pruned.walk_scenarios()]
    assert names == [
        "prepare", "row 1 — n=1", "row 2 — n=2", "row 3 — n=3",
        "tidy up", "in the second rule",
    ]  # fmt: skip


def test_backgrounds_run_before_each_pruned_scenario(feature_file: Path) -> None:
    line = lines_of(feature_file)
    pruned = pruning.prune(parse_file(str(feature_file)), [line["plain one"], line["row 6"]])
    plain = next(s for s in pruned.walk_scenarios() if s.name == "plain one")
    row = next(s for s in pruned.walk_scenarios() if s.name.startswith("ruled row"))
    assert [s.name for s in plain.background_steps] == ['the variable "b" is "1"']
    assert [s.name for s in row.background_steps] == [
        'the variable "b" is "1"',
        'the variable "r" is "1"',
    ]
    assert [s.location.line for s in row.all_steps][-1] == line["ruled row <n>"] + 1
    assert pruned.background is not None
    assert pruned.background.location.line == 3


def test_the_model_it_was_cut_from_is_left_as_it_was(feature_file: Path) -> None:
    feature = parse_file(str(feature_file))
    before = [(id(s), s.parent, s.feature, list(s.steps)) for s in feature.walk_scenarios()]
    items = list(feature.run_items)
    rule_items = [list(r.run_items) for r in feature.rules]
    line = lines_of(feature_file)
    pruned = pruning.prune(feature, [line["row 1"], line["in the rule"]])
    for scenario in pruned.walk_scenarios():  # what running it changes
        scenario.mark_skipped()
    after = [(id(s), s.parent, s.feature, list(s.steps)) for s in feature.walk_scenarios()]
    assert after == before
    assert feature.run_items == items
    assert [list(r.run_items) for r in feature.rules] == rule_items
    assert not any(s.should_skip for s in feature.walk_scenarios())
    assert all(step.status.name == "untested" for s in feature.walk_scenarios() for step in s.steps)


@pytest.mark.parametrize(
    "selected",
    [
        ["plain one"],
        ["row 2", "plain two"],
        ["row <n>"],
        ["in the rule", "row 7", "in the second rule"],
        ["tidy up"],
        ["prepare", "row 3", "row 6"],
    ],
)
def test_it_runs_what_behave_runs_of_the_same_locations(
    feature_file: Path, selected: list[str]
) -> None:
    line = lines_of(feature_file)
    locations = [at(feature_file, line[name]) for name in selected]
    ours = pruning.parse_features(locations)
    theirs = behave_parse_features(locations)
    assert ran(ours) == ran(theirs)
    # ... and builds nothing else.
    assert ran(ours) == [where(s) for f in ours for s in f.walk_scenarios()]


def test_a_whole_file_location_builds_every_scenario(feature_file: Path) -> None:
    ours = pruning.parse_features([at(feature_file)])
    assert ran(ours) == ran(behave_parse_features([at(feature_file)]))
    assert len(ours[0].walk_scenarios()) == 11


def test_the_runs_parse_is_used_and_never_changed(
    feature_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forked worker finds the file in the run's parse (selection's cache)."""
    shared = selection.parsed_feature(feature_file.resolve())
    parsed: list[str] = []
    monkeypatch.setattr(pruning.gherkin, "parse_file", lambda *a, **k: parsed.append(a[0]))
    line = lines_of(feature_file)
    features = pruning.parse_features([at(feature_file, line["plain two"])])
    assert parsed == []
    assert features[0] is not shared
    assert [s.name for s in features[0].walk_scenarios()] == ["prepare", "plain two", "tidy up"]
    assert len(shared.walk_scenarios()) == 11
    assert not any(s.should_skip for s in shared.walk_scenarios())


def test_a_parse_made_from_another_folder_is_not_used(
    feature_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Filenames in behave's model are relative to the folder it was parsed in: a run
    started elsewhere parsed other names, so the worker parses the file itself."""
    monkeypatch.chdir(feature_file.parent)
    selection.parsed_feature(feature_file.resolve())  # names: big.feature
    monkeypatch.chdir(feature_file.parents[1])
    line = lines_of(feature_file)
    features = pruning.parse_features([at(feature_file, line["plain one"])])
    assert where(features[0].walk_scenarios()[0]) == (
        "features/big.feature",
        line["plain one"],
        "plain one",
    )


def test_a_file_named_again_later_is_a_feature_again_as_in_behave(feature_file: Path) -> None:
    other = feature_file.with_name("other.feature")
    other.write_text("Feature: Other\n  Scenario: elsewhere\n    Given x\n")
    line = lines_of(feature_file)
    locations = [
        at(feature_file, line["plain one"]),
        at(other, 2),
        at(feature_file, line["plain two"]),
    ]
    ours = pruning.parse_features(locations)
    assert [f.name for f in ours] == [f.name for f in behave_parse_features(locations)]
    assert ran(ours) == ran(behave_parse_features(locations))


def test_an_empty_file_gives_no_feature(feature_file: Path) -> None:
    empty = feature_file.with_name("empty.feature")
    empty.write_text("# nothing yet\n")
    assert pruning.parse_features([at(empty, 1)]) == []


def test_every_worker_behave_uses_the_pruning_runner(tmp_path: Path) -> None:
    command = BehaveCommand(
        root=tmp_path, env_name="local", overrides=[], junit_parts=tmp_path / "j",
        lists_dir=tmp_path / "lists", logs_dir=tmp_path / "logs",
    )  # fmt: skip
    args = command.for_batch(Batch("w1", []))
    assert args[args.index("--runner") + 1] == RUNNER == "interlock.pruning:Runner"
    assert args[1:3] == ["-m", "behave"]
