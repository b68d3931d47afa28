"""The cleanup registry of a scenario: undo actions run in reverse order, always."""

from __future__ import annotations

from collections.abc import Callable
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

    def run_all(self) -> list[str]:
        """Run every registered action (newest first); returns one line per failure.

        A Ctrl-C during one action does not skip the others: it is re-raised once
        they have all run.
        """
        failures: list[str] = []
        interrupted: BaseException | None = None
        while self._actions:
            description, action = self._actions.pop()
            try:
                action()
            except KeyboardInterrupt as exc:
                interrupted = exc
                failures.append(f"{description}: interrupted")
            except Exception as exc:  # every cleanup must get its turn
                failures.append(f"{description}: {exc}")
        if interrupted is not None:
            raise interrupted
        return failures
