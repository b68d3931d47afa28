"""Each behave process builds only the scenarios it runs.

A worker's behave gets an ``@listing`` of ``file:line`` locations (see
:mod:`interlock.workers`). behave itself parses every file named there
(``behave.runner_util.parse_features``), walks all of its scenarios, marks the ones
not listed as skipped, and then runs past each of them, with the Allure formatter
keeping state for every one: a 13,000-scenario file run 500 scenarios a process
paid that 26 times over. :class:`Runner` (``behave --runner interlock.pruning:Runner``)
parses instead with :func:`parse_features`:

- the model comes from the run's own parse when the worker was forked from it
  (:func:`interlock.selection.parsed_feature`, which the run filled before its
  workers started), else from behave's parser, as behave would have parsed it;
- each file's group of locations becomes a pruned copy of its Feature
  (:func:`prune`) holding only the selected scenarios (and, as behave does, the
  ``@setup`` and ``@teardown`` ones it would not skip), in file order, inside copies
  of their Rules and Scenario Outlines; Backgrounds are the file's own.

The copies keep the model objects' filenames and lines, so ``file:line`` in the
output, JUnit, Allure and ``--rerun-failed`` is what behave would have written. The
model a copy was made from is never changed: a forked worker's is the run's (a
copy-on-write copy of it), and the run's cache is shared by lint and selection.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import behave.runner
from behave import parser as gherkin
from behave.model import Rule, Scenario, ScenarioOutline, copy_and_reset_steps
from behave.model_type import FileLocation, make_relpath_if_possible
from behave.runner_util import FeatureLineDatabase

from interlock import selection

KEPT_TAGS = ("setup", "teardown")  # behave never skips these for not being selected


class Runner(behave.runner.Runner):  # type: ignore[misc]
    """behave's runner, with its features parsed by :func:`parse_features`."""

    def run_with_paths(self) -> Any:
        # behave.runner calls the parse_features it imported from runner_util.
        original = behave.runner.parse_features
        behave.runner.parse_features = parse_features
        try:
            return super().run_with_paths()
        finally:
            behave.runner.parse_features = original


def parse_features(locations: Iterable[Any], language: str | None = None) -> list[Any]:
    """What ``behave.runner_util.parse_features`` returns, pruned: a Feature for each
    run of locations in the same file (a file named again later is a Feature again,
    as in behave), holding only the scenarios those locations select."""
    groups: list[tuple[str, list[int]]] = []
    for location in locations:
        if not isinstance(location, FileLocation):
            location = FileLocation(os.path.normpath(str(location)))
        if groups and groups[-1][0] == location.filename:
            groups[-1][1].append(int(location.line or 0))
        else:
            groups.append((location.filename, [int(location.line or 0)]))
    features = []
    for filename, lines in groups:
        feature = _model(os.path.abspath(filename), language)
        if feature is not None:  # a file without a feature: behave skips it too
            features.append(prune(feature, lines))
    return features


def _model(filename: str, language: str | None) -> Any:
    """The file's model: the run's parse when this process has it (a forked worker),
    else behave's. The run's is used only if behave would have made the same one:
    same language, and filenames written relative to the same folder."""
    if language is None:
        shared = selection.parsed_feature(Path(filename).resolve())
        expected = make_relpath_if_possible(filename, os.getcwd())
        if shared is None or shared.filename == expected:
            return shared
    return gherkin.parse_file(filename, language=language)


def prune(feature: Any, lines: Sequence[int]) -> Any:
    """A copy of ``feature`` holding only the scenarios ``lines`` select, by behave's
    rules (``FeatureLineDatabase``: a scenario's or an Examples row's line selects it,
    an Outline's or a Rule's line all of theirs, line 0 or the Feature's line every
    one, a line in between the entity above it), plus the ``@setup``/``@teardown``
    scenarios behave would run anyway. A Rule or Outline none of whose scenarios is
    selected is left out (behave kept it, its scenarios skipped, and called the Rule's
    hooks for it); with the whole file selected, nothing is. Every object keeps its
    filename and line; ``feature`` itself is not changed."""
    if not lines or 0 in lines:
        wanted: set[int] | None = None  # the whole file
    else:
        database = FeatureLineDatabase.make(feature)
        wanted = {
            id(scenario)
            for line in set(lines)
            for scenario in database.select_scenarios_by_line(line)
        }
    pruned = copy.copy(feature)
    pruned.run_items, pruned.scenarios, pruned.rules = [], [], []
    for item in feature.run_items:
        kept = _prune_item(item, wanted, pruned, pruned)
        if kept is None:
            continue
        pruned.run_items.append(kept)
        (pruned.rules if isinstance(item, Rule) else pruned.scenarios).append(kept)
    return pruned


def _prune_item(item: Any, wanted: set[int] | None, parent: Any, feature: Any) -> Any:
    """The copy of a run item (Rule, Scenario Outline, Scenario) under ``parent``, or
    None when nothing of it is selected."""
    if isinstance(item, Rule):
        rule = copy.copy(item)
        rule.parent, rule.feature = parent, feature
        rule.run_items, rule.scenarios = [], []
        for child in item.run_items:
            kept = _prune_item(child, wanted, rule, feature)
            if kept is not None:
                rule.run_items.append(kept)
                rule.scenarios.append(kept)
        return rule if rule.run_items or wanted is None else None
    if isinstance(item, ScenarioOutline):
        outline = _copy_scenario(item, parent, feature)
        rows = item.scenarios  # built once from the Examples (the run's already are)
        outline._scenarios = [
            _copy_scenario(row, outline, feature) for row in rows if _selected(row, wanted)
        ]
        return outline if outline._scenarios or wanted is None else None
    if isinstance(item, Scenario) and _selected(item, wanted):
        return _copy_scenario(item, parent, feature)
    return None


def _selected(scenario: Any, wanted: set[int] | None) -> bool:
    if wanted is None or id(scenario) in wanted:
        return True
    return any(tag in scenario.tags for tag in KEPT_TAGS)


def _copy_scenario(scenario: Any, parent: Any, feature: Any) -> Any:
    """A runnable copy: its own steps (fresh, as behave copies a Background's for each
    scenario), under the pruned parent and feature."""
    new = copy.copy(scenario)
    new.parent, new.feature = parent, feature
    new.steps = copy_and_reset_steps(scenario.steps)
    if scenario._background_steps is not None:  # an Outline row's, filled from its row
        new._background_steps = copy_and_reset_steps(scenario._background_steps)
    return new
