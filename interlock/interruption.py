"""How a behave process takes Ctrl-C (SIGINT, which ``interlock run`` forwards once to
every worker) or SIGTERM: stop soon, and run every cleanup on the way out.

behave turns a KeyboardInterrupt into an orderly stop only where it catches one:
inside a step function and inside a hook. Raised anywhere else (between two steps,
in a formatter, in behave's own error handling) it escapes the scenario, and that
scenario's ``after_scenario``, with its cleanups, never runs. So the signal is taken
according to where the process is:

- in a step function (:func:`step_zone`, around behave's ``Match.run``): at once.
  The step fails as interrupted, and every cleanup runs;
- anywhere else, a cleanup action included: noted. A cleanup action finishes (that
  is what a graceful stop is for), the next step function does not start (it fails
  as interrupted), and the end of ``before_all``, ``before_scenario`` and
  ``after_scenario`` aborts the run, so nothing new starts;
- when no such point has come ``GRACE`` seconds later (a hook that hangs), once at
  once after all, wherever it is, except in interlock's own teardown
  (``after_scenario`` outside a cleanup action, and ``after_all``), which is bounded
  by its own timeouts. From the grace on, a step or cleanup action that has run for
  ``HANGING`` seconds is cut short too. The rows a process interrupted that way may
  have left are swept from its journal by ``interlock run``.

A second signal interrupts at once wherever the process is (``interlock run`` sends
its workers no second SIGINT: it kills them).

The same zone serves the scenario time limit (:mod:`interlock.time_limit`), which
must not raise outside a step function either.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

GRACE = 3.0  # seconds from the signal to an interruption wherever the process is
RETRY = 0.5  # seconds between the watchdog's later looks
HANGING = 1.0  # seconds a step or cleanup action runs, after the grace, before it is cut
SIGNALS = (signal.SIGINT, signal.SIGTERM)
ESCALATION = signal.SIGUSR2  # sent by the watchdog to the main thread

# -- the step zone: behave's Match.run, the step function and nothing around it -----------

_depth = 0
_since = 0.0  # when the outermost step function running now started
_shield = 0  # inside shielded(): a few statements that must not be separated
_checks: list[Callable[[], None]] = []
_masks: list[Callable[[BaseException], None]] = []  # what masks an error a step raises
_match_checks: list[Callable[[Any, Any], None]] = []


def in_step() -> bool:
    """Whether a step function is running now (behave catches what it raises), outside
    a :func:`shielded` block."""
    return _depth > 0 and not _shield


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Around statements that must not be separated (a row written and its removal
    registered): a signal or the scenario's time limit that comes meanwhile is only
    noted, and takes effect as the block ends."""
    global _shield
    _shield += 1
    try:
        yield
    finally:
        _shield -= 1
    if not _shield and _depth:
        for check in _checks:
            check()


def _running_for(since: float) -> float:
    return time.monotonic() - since


def step_zone(
    checks: list[Callable[[], None]],
    mask: Callable[[BaseException], None] | None = None,
    match_checks: Sequence[Callable[[Any, Any], None]] = (),
) -> None:
    """Mark every step function behave runs from now on, and run ``checks`` as it
    starts (inside the step, so that what they raise fails that step), then
    ``match_checks`` with behave's match (its step function) and the context;
    ``mask`` masks what a step raises before behave shows it."""
    from behave.matchers import Match, MatchWithError

    _checks[:] = checks
    _masks[:] = [mask] if mask else []
    _match_checks[:] = match_checks
    # A step whose parameter type refused its value runs MatchWithError.run: zoned too,
    # so that a match check can name the step's line and the refused value.
    for kind in (Match, MatchWithError):
        if not getattr(kind.__dict__["run"], "_interlock_zone", False):
            kind.run = _zoned(kind.__dict__["run"])


def _zoned(original: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    def run(self: Any, context: Any) -> None:
        global _depth, _since
        depth = _depth
        try:
            if not depth:
                _since = time.monotonic()
            _depth = depth + 1
            for check in _checks:
                check()
            for match_check in _match_checks:
                match_check(self, context)
            original(self, context)
        except BaseException as error:
            for mask_error in _masks:
                mask_error(error)
            raise
        finally:
            _depth = depth

    run._interlock_zone = True  # type: ignore[attr-defined]
    return run


# -- the process's signal handling --------------------------------------------------------


@dataclass
class Interruption:
    """This process's signal handlers and where it stands (one per behave process)."""

    grace: float = GRACE
    received: int = 0
    _at_once: int = 0  # inside a cleanup action
    _action_since: float = 0.0  # when the cleanup action running now started
    _teardown: bool = False  # in interlock's after_scenario
    _stopping: bool = False  # a signal was acted on: behave is stopping in order
    _escalated: bool = False  # the grace passed and one interruption was raised for it
    _final: bool = False  # after_all has begun
    _first: threading.Event = field(default_factory=threading.Event, repr=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def requested(self) -> bool:
        return self.received > 0

    def install(self) -> Interruption:
        for signum in SIGNALS:
            signal.signal(signum, self._handle)
        signal.signal(ESCALATION, self._overdue)
        threading.Thread(target=self._watch, name="interlock watchdog", daemon=True).start()
        return self

    def check(self) -> None:
        """A step function is starting: not once a signal came."""
        if self.requested:
            self._stopping = True
            raise KeyboardInterrupt

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received += 1
        if self.received > 1:
            raise KeyboardInterrupt  # a second signal: at once, anywhere
        self._first.set()
        if not self._final and in_step():
            self._stopping = True
            raise KeyboardInterrupt

    def parent_died(self, frame: FrameType | None) -> None:
        """The run that started this worker is gone (:mod:`interlock.lifeline`): stop as
        on a first signal; if one came already, go on stopping as it is (the lifeline
        bounds the time that takes)."""
        if not self.requested:
            self._handle(signal.SIGHUP, frame)

    def _watch(self) -> None:
        """Once the grace after the first signal has passed, keep cutting the process
        short until its teardown begins (see the module's text)."""
        self._first.wait()
        if self._done.wait(self.grace):
            return
        main = threading.main_thread().ident
        while main is not None and not self._final:
            signal.pthread_kill(main, ESCALATION)
            if self._done.wait(RETRY):
                return

    def _overdue(self, signum: int, frame: FrameType | None) -> None:
        if self._final:
            return
        if self._at_once or in_step():
            since = self._action_since if self._at_once else _since
            if _running_for(since) >= HANGING:
                raise KeyboardInterrupt  # a step or a cleanup action that hangs
            return  # busy, not hanging: the next look decides
        if self._teardown or self._stopping or self._escalated:
            return  # stopping in order already, or interlock's own teardown
        self._escalated = True  # no hook came: once, wherever the process is
        raise KeyboardInterrupt

    # -- the points the hooks mark ------------------------------------------------------

    def safe_point(self, context: Any) -> None:
        """End of ``before_all``/``before_scenario``/``after_scenario``: if a signal
        came, nothing more starts (behave skips what is left, hooks still run)."""
        if self.requested:
            self._stopping = True
            context.abort(reason="interrupted (a signal was received)")

    @contextlib.contextmanager
    def teardown(self) -> Iterator[None]:
        """Around interlock's ``after_scenario``: only cleanup actions are cut short."""
        self._teardown = True
        try:
            yield
        finally:
            self._teardown = False

    @contextlib.contextmanager
    def at_once(self) -> Iterator[None]:
        """Around one cleanup action: once the grace has passed, an action that hangs
        is abandoned (the next one still runs)."""
        depth = self._at_once
        try:
            if not depth:
                self._action_since = time.monotonic()
            self._at_once = depth + 1
            yield
        finally:
            self._at_once = depth

    def finishing(self) -> None:
        """``after_all``: from here on only a second signal interrupts."""
        self._final = True
        self._at_once = 0
        self._done.set()
