"""Where a behave process takes a signal: at once in a step function or a cleanup
action, at the next safe point anywhere else, and cut short after the grace when no
safe point comes, except in interlock's own teardown."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from behave.matchers import Match

from interlock import interruption
from interlock.cleanup import CleanupRegistry
from interlock.interruption import ESCALATION, SIGNALS, Interruption, in_step, step_zone
from interlock.time_limit import ScenarioTimeout, TimeLimit


class FakeContext:
    def __init__(self) -> None:
        self.aborted: list[str] = []

    def abort(self, reason: str | None = None) -> None:
        self.aborted.append(reason or "")

    def use_with_user_mode(self) -> Any:
        return _Nothing()


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.fixture(autouse=True)
def restore_handlers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (*SIGNALS, ESCALATION, signal.SIGALRM)}
    saved_run = Match.run
    installed: list[Interruption] = []
    install = Interruption.install

    def recording(self: Interruption) -> Interruption:
        installed.append(self)
        return install(self)

    monkeypatch.setattr(Interruption, "install", recording)
    yield
    for stop in installed:
        stop.finishing()  # its watchdog stops sending
        stop._first.set()  # and ends, if no signal ever came
    for sig, handler in saved.items():
        signal.signal(sig, handler)
    Match.run = saved_run  # type: ignore[method-assign]


def send(signum: int = signal.SIGINT) -> None:
    os.kill(os.getpid(), signum)
    time.sleep(0.01)  # the handler runs at the next bytecode


def step(func: Any) -> Match:
    return Match(func=func, arguments=[])


def test_between_steps_a_signal_is_noted_and_the_next_step_does_not_start() -> None:
    stop = Interruption(grace=30).install()
    step_zone([stop.check])
    ran: list[str] = []
    send()  # not in a step: no exception here
    assert stop.requested
    with pytest.raises(KeyboardInterrupt):
        step(lambda context: ran.append("step")).run(FakeContext())
    assert ran == []


def test_inside_a_step_function_a_signal_interrupts_at_once() -> None:
    stop = Interruption(grace=30).install()
    step_zone([stop.check])
    seen: list[bool] = []

    def hangs(context: Any) -> None:
        seen.append(in_step())
        send(signal.SIGTERM)
        time.sleep(10)

    with pytest.raises(KeyboardInterrupt):
        step(hangs).run(FakeContext())
    assert seen == [True]
    assert not in_step()  # the zone ends with the step function


def test_a_signal_during_a_cleanup_lets_every_cleanup_finish() -> None:
    stop = Interruption(grace=30).install()
    ran: list[str] = []
    registry = CleanupRegistry()
    registry.add("first", lambda: ran.append("first"))
    registry.add("signalled", lambda: (send(), time.sleep(0.2), ran.append("signalled")))
    registry.add("last", lambda: ran.append("last"))
    with stop.teardown():
        assert registry.run_all(around=stop.at_once) == []
    assert ran == ["last", "signalled", "first"]
    assert stop.requested


def test_a_safe_point_aborts_the_run_once_a_signal_came() -> None:
    stop = Interruption(grace=30).install()
    context = FakeContext()
    stop.safe_point(context)
    assert not context.aborted
    send()
    stop.safe_point(context)
    assert context.aborted


def test_when_no_safe_point_comes_the_grace_ends_a_blocking_call() -> None:
    Interruption(grace=0.2).install()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        send()
        time.sleep(10)  # a hook that hangs
    assert time.monotonic() - started < 2


def test_once_stopping_in_order_only_a_hanging_cleanup_is_cut_short() -> None:
    stop = Interruption(grace=0.1).install()
    send()
    stop.safe_point(FakeContext())  # behave now stops in order
    time.sleep(0.8)  # past the grace: nothing is raised outside a cleanup action
    registry = CleanupRegistry()
    registry.add("hangs", lambda: time.sleep(10))
    registry.add("slow, not hanging", lambda: time.sleep(interruption.HANGING * 0.7))
    started = time.monotonic()
    with stop.teardown():
        time.sleep(0.6)  # interlock's own teardown is not cut short either
        assert registry.run_all(around=stop.at_once) == ["hangs: interrupted"]
    assert time.monotonic() - started < 0.6 + 0.7 + interruption.HANGING + 1


def test_the_teardown_is_not_cut_short_but_a_second_signal_stops_it() -> None:
    stop = Interruption(grace=0.1).install()
    stop.finishing()
    send()
    time.sleep(0.3)  # no escalation in the final teardown
    with pytest.raises(KeyboardInterrupt):
        send()


def test_a_second_signal_interrupts_at_once_anywhere() -> None:
    Interruption(grace=30).install()
    send()
    with pytest.raises(KeyboardInterrupt):
        send()


def test_the_time_limit_fails_the_next_step_when_it_runs_out_between_steps() -> None:
    limit = TimeLimit(0.05)
    step_zone([limit.check])
    limit.start()
    time.sleep(0.2)  # out of any step: noted, not raised
    with pytest.raises(ScenarioTimeout, match="it ran out after the step"):
        step(lambda context: None).run(FakeContext())
    limit.stop()


def test_the_step_zone_is_installed_once() -> None:
    step_zone([])
    patched = Match.run
    step_zone([])
    assert Match.run is patched
    assert interruption._depth == 0


def test_a_signal_in_a_shielded_block_takes_effect_as_the_block_ends() -> None:
    stop = Interruption(grace=30).install()
    step_zone([stop.check])
    done: list[str] = []

    def seeds(context: Any) -> None:
        with interruption.shielded():
            done.append("row written")
            send()  # lands between writing a row and registering its removal
            done.append("removal registered")
        done.append("after the block")

    with pytest.raises(KeyboardInterrupt):
        step(seeds).run(FakeContext())
    assert done == ["row written", "removal registered"]
