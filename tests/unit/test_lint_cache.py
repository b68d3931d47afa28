"""The lint before a run remembers its answer for an unchanged suite (issue 20), and
never uses it once anything it depends on changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from interlock import lint, lint_cache, run
from interlock.config import load_config
from interlock.lint import Problem

REPO = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "suite"
    (root / "steps").mkdir(parents=True)
    (root / "steps" / "a_steps.py").write_text("# steps\n")
    (root / "config").mkdir()
    (root / "config" / "default.yaml").write_text("report: {}\n")
    (root / "features").mkdir()
    (root / "features" / "a.feature").write_text(
        'Feature: A\n  Scenario: S\n    When I send the JSON file "order.json"\n'
    )
    (root / "data").mkdir()
    (root / "data" / "order.json").write_text('{"sku": 1}')
    (root / "requirements.yaml").write_text("- id: REQ-1\n")
    return root


def _key(root: Path, env: str = "local", overrides: tuple[str, ...] = ()) -> str:
    return lint_cache.key(
        root,
        [root / "features" / "a.feature"],
        env,
        overrides,
        root / "data",
        root / "requirements.yaml",
        whole_suite=True,
    )


@pytest.mark.parametrize(
    "change",
    [
        "feature",
        "step library",
        "config",
        "catalog",
        "data file",
        "environment",
        "override",
    ],
)
def test_each_part_of_the_key_invalidates(tmp_path: Path, change: str) -> None:
    root = _project(tmp_path)
    before = _key(root)
    assert _key(root) == before  # stable while nothing changes
    env, overrides = "local", ()
    if change == "feature":
        (root / "features" / "a.feature").write_text("Feature: A\n  Scenario: T\n")
    elif change == "step library":
        (root / "steps" / "a_steps.py").write_text("# steps, edited\n")
    elif change == "config":
        (root / "config" / "default.yaml").write_text("report: {require_requirement_tag: true}\n")
    elif change == "catalog":
        (root / "requirements.yaml").write_text("- id: REQ-2\n")
    elif change == "data file":
        (root / "data" / "order.json").write_text('{"sku": 2}')
    elif change == "environment":
        env = "ci"
    else:
        overrides = ("report.require_requirement_tag=true",)
    assert _key(root, env, overrides) != before


def test_a_new_step_module_invalidates(tmp_path: Path) -> None:
    root = _project(tmp_path)
    before = _key(root)
    (root / "steps" / "b_steps.py").write_text("# more steps\n")
    assert _key(root) != before


def test_a_hit_returns_the_same_problems_without_linting(tmp_path: Path) -> None:
    problems = [
        Problem("features/a.feature", 3, "error", "no step matches 'When I fly'"),
        Problem("requirements.yaml", 1, "warning", "REQ-1: no scenario names it"),
    ]
    calls: list[int] = []

    def compute() -> list[Problem]:
        calls.append(1)
        return problems

    first, hit = lint_cache.cached(tmp_path, "k1", compute)
    assert (first, hit, calls) == (problems, False, [1])
    second, hit = lint_cache.cached(tmp_path, "k1", compute)
    assert (second, hit, calls) == (problems, True, [1])
    _, hit = lint_cache.cached(tmp_path, "k2", compute)  # another key: linted again
    assert (hit, calls) == (False, [1, 1])


def test_an_unreadable_cache_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / lint_cache.FILE).write_text("{not json")
    problems, hit = lint_cache.cached(tmp_path, "k", lambda: [])
    assert (problems, hit) == ([], False)


def test_the_run_lint_of_an_unchanged_suite_loads_no_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repository's own suite, linted twice: the second answer is the first, and
    comes without loading the step library."""
    state = tmp_path / "state"
    config = load_config(REPO, env="local", overrides=[f"paths.state={state}"])
    first = run.lint_suite(config, ["features/interface/orders_api.feature"])

    def no_load(steps_dir: Path) -> lint.StepLibrary:
        raise AssertionError("the step library was loaded for an unchanged suite")

    monkeypatch.setattr(lint.StepLibrary, "load", staticmethod(no_load))
    assert run.lint_suite(config, ["features/interface/orders_api.feature"]) == first
    copy = tmp_path / "copy.feature"
    shutil.copy(REPO / "features" / "interface" / "orders_api.feature", copy)
    with pytest.raises(AssertionError, match="step library was loaded"):
        run.lint_suite(config, ["features/interface/orders_api.feature", str(copy)])
