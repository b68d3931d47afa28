"""A time limit per scenario: a step that hangs (a server that drips a byte a second
stays within every per-read timeout) fails once the scenario's time is up, naming
the step. Cleanups run after it, outside the limit.

It uses the process's real-time timer (SIGALRM): the exception is raised in the
main thread wherever behave is blocked, and each behave worker has its own.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from types import FrameType
from typing import Any


class ScenarioTimeout(AssertionError):
    """The scenario ran past ``run.scenario_timeout``."""


@dataclass
class TimeLimit:
    seconds: float
    step: str = "(before the first step)"

    def start(self) -> None:
        if self.seconds > 0:
            self.step = "(before the first step)"
            signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def entering(self, step: Any) -> None:
        self.step = f"{step.keyword} {step.name} ({step.location})"

    def stop(self) -> None:
        if self.seconds > 0:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def _expired(self, signum: int, frame: FrameType | None) -> None:
        raise ScenarioTimeout(
            f"the scenario ran past its time limit of {self.seconds:g} s"
            f" (run.scenario_timeout), in the step {self.step}"
        )
