"""Retries of failed ``@flaky`` scenarios (``run._retry_flaky``): the results folder is
read only when something may be retried."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from interlock import report, run
from interlock.selection import ScenarioRef
from interlock.workers import BehaveCommand, Supervisor


def _behave(tmp_path: Path) -> BehaveCommand:
    return BehaveCommand(
        root=tmp_path,
        env_name="local",
        overrides=(),
        junit_parts=tmp_path / "junit",
        lists_dir=tmp_path / "lists",
        logs_dir=tmp_path / "logs",
    )


def _result(folder: Path, location: str, status: str, tags: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    labels = [{"name": "location", "value": location}]
    labels += [{"name": "tag", "value": tag} for tag in tags]
    data = {"name": location, "status": status, "stop": 2, "labels": labels}
    (folder / f"{abs(hash(location))}-result.json").write_text(json.dumps(data))


def _counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    reads: list[Path] = []
    real = report.read_results

    def read(folder: Path) -> report.Summary:
        reads.append(folder)
        return real(folder)

    monkeypatch.setattr(report, "read_results", read)
    return reads


def test_without_a_flaky_scenario_the_results_are_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "results"
    _result(results, "features/a.feature:3", "failed", [])
    reads = _counting_reads(monkeypatch)
    scenarios = [ScenarioRef("features/a.feature", 3, "a", frozenset())]
    codes = run._retry_flaky(
        scenarios, _behave(tmp_path), Supervisor(), results, True, 2, lambda _: None
    )
    assert codes == []
    assert reads == []


def test_a_flaky_scenario_that_passed_is_read_once_and_not_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = tmp_path / "results"
    _result(results, "features/a.feature:3", "passed", ["flaky"])
    reads = _counting_reads(monkeypatch)
    said: list[str] = []
    scenarios = [ScenarioRef("features/a.feature", 3, "a", frozenset({"flaky"}))]
    codes = run._retry_flaky(
        scenarios, _behave(tmp_path), Supervisor(), results, True, 2, said.append
    )
    assert codes == [] and said == []
    assert reads == [results]  # nothing failed: no retry, nothing to flag as flaky
    (outcome,) = report.read_results(results).outcomes
    assert not outcome.flaky
