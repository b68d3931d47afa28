"""The cleanup registry of a scenario: undo actions run in reverse order, always."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class CleanupRegistry:
    """Register an undo action right after (or before) doing something; ``run_all``
    runs every one, newest first, even when some fail, and reports the failures."""

    _actions: list[tuple[str, Callable[[], None]]] = field(default_factory=list)

    def add(self, description: str, action: Callable[[], None]) -> None:
        self._actions.append((description, action))

    def __len__(self) -> int:
        return len(self._actions)

    def run_all(self) -> list[str]:
        """Run every registered action (newest first); returns one line per failure."""
        failures: list[str] = []
        while self._actions:
            description, action = self._actions.pop()
            try:
                action()
            except Exception as exc:
                failures.append(f"{description}: {type(exc).__name__}: {exc}")
        return failures
