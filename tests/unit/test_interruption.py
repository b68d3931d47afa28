"""Where a behave process takes a signal: at once in a step or a cleanup action, at the
next safe point anywhere else, at once after all when that never comes."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from interlock.cleanup import CleanupRegistry
from interlock.interruption import Interruption


class FakeContext:
    def __init__(self) -> None:
        self.aborted: list[str] = []

    def abort(self, reason: str | None = None) -> None:
        self.aborted.append(reason or "")


@pytest.fixture
def restore_handlers() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def send(signum: int = signal.SIGINT) -> None:
    os.kill(os.getpid(), signum)
    time.sleep(0.01)  # the handler runs at the next bytecode


@pytest.mark.usefixtures("restore_handlers")
def test_between_steps_a_signal_is_noted_and_the_next_step_does_not_start() -> None:
    interruption = Interruption(grace=0).install()
    context = FakeContext()
    send()  # not in a step: no exception here
    assert interruption.requested
    with pytest.raises(KeyboardInterrupt):
        interruption.step_starting(context)
    assert context.aborted


@pytest.mark.usefixtures("restore_handlers")
def test_inside_a_step_a_signal_interrupts_at_once() -> None:
    interruption = Interruption(grace=0).install()
    interruption.step_starting(FakeContext())
    with pytest.raises(KeyboardInterrupt):
        send(signal.SIGTERM)
    interruption.step_ended()
    assert interruption.requested


@pytest.mark.usefixtures("restore_handlers")
def test_a_signal_in_a_cleanup_abandons_that_action_only() -> None:
    interruption = Interruption(grace=0).install()
    ran: list[str] = []
    registry = CleanupRegistry()
    registry.add("first", lambda: ran.append("first"))
    registry.add("stuck", lambda: (send(), ran.append("stuck finished")))
    registry.add("last", lambda: ran.append("last"))
    failures = registry.run_all(around=interruption.at_once)
    assert ran == ["last", "first"]
    assert failures == ["stuck: interrupted"]


@pytest.mark.usefixtures("restore_handlers")
def test_a_safe_point_aborts_the_run_once_a_signal_came() -> None:
    interruption = Interruption(grace=0).install()
    context = FakeContext()
    interruption.safe_point(context)
    assert not context.aborted
    send()
    interruption.safe_point(context)
    assert context.aborted


@pytest.mark.usefixtures("restore_handlers")
def test_when_no_safe_point_comes_the_grace_ends_a_blocking_call() -> None:
    Interruption(grace=0.2).install()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        send()
        time.sleep(10)  # a hook that hangs
    assert time.monotonic() - started < 2


@pytest.mark.usefixtures("restore_handlers")
def test_the_teardown_is_not_cut_short_but_a_second_signal_stops_it() -> None:
    interruption = Interruption(grace=0.1).install()
    interruption.finishing()
    send()
    time.sleep(0.3)  # no escalation in the teardown
    with pytest.raises(KeyboardInterrupt):
        send()


@pytest.mark.usefixtures("restore_handlers")
def test_a_second_signal_interrupts_at_once_anywhere() -> None:
    Interruption(grace=0).install()
    send()
    with pytest.raises(KeyboardInterrupt):
        send()
