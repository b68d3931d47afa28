"""A time limit per scenario: a step that hangs (a server that drips a byte a second
stays within every per-read timeout) fails once the scenario's time is up, naming
the step. Cleanups run after it, outside the limit.

It uses the process's real-time timer (SIGALRM), and each behave worker has its own.
The exception is raised only inside a step function (where behave catches it): when
the time runs out anywhere else, the next step fails with it instead of starting.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from types import FrameType
from typing import Any

from interlock.interruption import in_step


class ScenarioTimeout(AssertionError):
    """The scenario ran past ``run.scenario_timeout``."""


@dataclass
class TimeLimit:
    seconds: float
    step: str = "(before the first step)"
    overdue: str = ""  # the message, once the time ran out outside a step

    def start(self) -> None:
        self.overdue = ""
        if self.seconds > 0:
            self.step = "(before the first step)"
            signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def entering(self, step: Any) -> None:
        self.step = f"{step.keyword} {step.name} ({step.location})"

    def stop(self) -> None:
        if self.seconds > 0:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def check(self) -> None:
        """A step function is starting: not once the time ran out."""
        if self.overdue:
            raise ScenarioTimeout(self.overdue)

    def _expired(self, signum: int, frame: FrameType | None) -> None:
        limit = f"the scenario ran past its time limit of {self.seconds:g} s (run.scenario_timeout)"
        if in_step():
            raise ScenarioTimeout(f"{limit}, in the step {self.step}")
        self.overdue = f"{limit}: it ran out after the step {self.step}"
