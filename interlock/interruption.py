"""How a behave process takes Ctrl-C (SIGINT, which ``interlock run`` forwards once to
every worker) or SIGTERM: stop soon, and run every cleanup on the way out.

behave turns a KeyboardInterrupt into an orderly stop only where it catches one:
inside a step and inside a hook. Raised anywhere else (between two steps, in a
formatter) it escapes the scenario, and that scenario's ``after_scenario``, with its
cleanups, never runs. So the signal is taken according to where the process is:

- in a step or in one cleanup action: at once. The step fails as interrupted; the
  cleanup action is abandoned and the other cleanups still run;
- anywhere else: noted, and acted on at the next safe point: the end of
  ``before_all`` or ``before_scenario`` (nothing more starts), the next
  ``before_step`` (that step does not run), the end of ``after_scenario``;
- if the process is still not stopping ``GRACE`` seconds later (a hook that hangs),
  at once after all, wherever it is: the rows such a process wrote are still swept
  from its journal by ``interlock run``;
- once ``after_all`` has begun, only noted: the teardown is bounded by its own
  timeouts and must finish.

A second signal interrupts at once wherever the process is (``interlock run`` sends
its workers no second SIGINT: it kills them).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

GRACE = 3.0  # seconds from the signal to an interruption wherever the process is
SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class Interruption:
    """This process's signal handler and where it stands (one per behave process)."""

    grace: float = GRACE
    received: int = 0
    _at_once: int = 0  # inside a step or a cleanup action
    _final: bool = False  # after_all has begun
    _escalating: bool = False
    _timer: threading.Timer | None = field(default=None, repr=False)

    @property
    def requested(self) -> bool:
        return self.received > 0

    def install(self) -> Interruption:
        for signum in SIGNALS:
            signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        escalation, self._escalating = self._escalating, False
        if not escalation:
            self.received += 1
        if self._final:
            if self.received > 1 and not escalation:
                raise KeyboardInterrupt  # a second signal stops even the teardown
            return
        if escalation or self._at_once or self.received > 1:
            raise KeyboardInterrupt
        if self.grace > 0:
            self._timer = threading.Timer(self.grace, self._escalate)
            self._timer.daemon = True
            self._timer.start()

    def _escalate(self) -> None:
        if self._final:
            return
        self._escalating = True
        # To the main thread itself, so that a blocking call there is interrupted.
        main = threading.main_thread().ident
        if main is not None:
            signal.pthread_kill(main, signal.SIGINT)

    # -- the points the hooks mark ------------------------------------------------------

    def safe_point(self, context: Any) -> None:
        """End of ``before_all``/``before_scenario``/``after_scenario``: if a signal
        came, nothing more starts (behave skips what is left, hooks still run)."""
        if self.requested:
            context.abort(reason="interrupted (a signal was received)")

    def step_starting(self, context: Any) -> None:
        """``before_step``: a step does not start once a signal came; otherwise a
        signal now interrupts the step."""
        if self.requested:
            context.abort(reason="interrupted (a signal was received)")
            raise KeyboardInterrupt
        self._at_once += 1

    def step_ended(self) -> None:
        """``after_step``: between steps a signal is only noted."""
        self._at_once = max(0, self._at_once - 1)

    @contextlib.contextmanager
    def at_once(self) -> Iterator[None]:
        """Around one cleanup action: a signal abandons it (the next one still runs)."""
        self._at_once += 1
        try:
            yield
        finally:
            self._at_once -= 1

    def finishing(self) -> None:
        """``after_all``: from here on a signal never interrupts the teardown."""
        self._final = True
        self._at_once = 0
        if self._timer is not None:
            self._timer.cancel()
