"""How workers start: forked from the run on Linux by default, fresh processes when
``INTERLOCK_WORKER_START=subprocess`` asks (or where there is no fork)."""

from __future__ import annotations

import os
import sys

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
