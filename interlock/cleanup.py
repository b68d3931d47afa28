"""The cleanup registry of a scenario: undo actions run in reverse order, always."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field


@dataclass
class CleanupRegistry:
    """Register an undo action right after (or before) doing something; ``run_all``
    runs every one, newest first, even when some fail, and reports the failures."""

    _actions: list[tuple[str, Callable[[], object]]] = field(default_factory=list)

    def add(self, description: str, action: Callable[[], object]) -> None:
        self._actions.append((description, action))

    def __len__(self) -> int:
        return len(self._actions)

    def pending(self) -> list[str]:
        """What is still to be undone, newest first."""
        return [description for description, _ in reversed(self._actions)]

    def run_all(
        self, around: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext
    ) -> list[str]:
        """Run every registered action (newest first), each inside ``around()``; returns
        one line per failure.

        A Ctrl-C during one action abandons that action only ("interrupted"): the
        others still run.
        """
        failures: list[str] = []
        while self._actions:
            description = self._actions[-1][0]
            try:
                _, action = self._actions.pop()
                with around():
                    action()
            except KeyboardInterrupt:
                failures.append(f"{description}: interrupted")
            except Exception as exc:  # every cleanup must get its turn
                failures.append(f"{description}: {exc}")
        return failures
