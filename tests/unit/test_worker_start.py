"""How workers start: forked from the run on Linux by default, fresh processes when
``INTERLOCK_WORKER_START=subprocess`` asks (or where there is no fork)."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest

from interlock import workers


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forking is for Linux")
def test_workers_are_forked_on_linux_unless_asked_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(workers.START_ENV, raising=False)
    assert workers.fork_wanted()
    monkeypatch.setenv(workers.START_ENV, "fork")
    assert workers.fork_wanted()


@pytest.mark.parametrize("value", ["subprocess", " Subprocess "])
def test_subprocess_asks_for_fresh_processes(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(workers.START_ENV, value)
    assert not workers.fork_wanted()


def test_without_fork_workers_are_fresh_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(workers.START_ENV, raising=False)
    monkeypatch.delattr(os, "fork")
    assert not workers.fork_wanted()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forking is for Linux")
def test_a_forked_worker_leaves_what_it_inherited_to_the_collector_frozen(
    tmp_path: Path,
) -> None:
    """The run's objects (modules, config, parsed features) are the worker's for good:
    frozen, so that no collection walks them (and copies their pages from the run)."""
    (tmp_path / "features" / "steps").mkdir(parents=True)
    (tmp_path / "features" / "freeze.feature").write_text(
        "Feature: freeze\n  Scenario: note\n    Given the frozen objects are noted\n"
    )
    noted = tmp_path / "frozen.txt"
    (tmp_path / "features" / "steps" / "note.py").write_text(
        "import gc, os\n"
        "from behave import given\n\n"
        "@given('the frozen objects are noted')\n"
        "def note(context):\n"
        "    with open(os.environ['FROZEN_FILE'], 'w') as out:\n"
        "        out.write(str(gc.get_freeze_count()))\n"
    )
    command = [sys.executable, "-m", "behave", "-f", "null", "--no-junit", "features"]
    env = {"PATH": os.environ.get("PATH", ""), "FROZEN_FILE": str(noted)}
    with open(tmp_path / "worker.log", "wb") as log:
        child = workers.ForkedWorker.start(command, tmp_path, env, log)
        code = child.wait()
    assert code == 0, (tmp_path / "worker.log").read_text()
    assert int(noted.read_text()) > 1000, "the inherited objects are not frozen"
    assert gc.get_freeze_count() == 0, "the run itself must not freeze its objects"
