"""Retrying a check until it passes or a time limit runs out."""

from __future__ import annotations

import time
from collections.abc import Callable


def until(check: Callable[[], str | None], timeout: float, interval: float) -> str | None:
    """Call ``check`` (None means passed, text says why not) until it passes or
    ``timeout`` seconds have gone; returns None or the last reason. The check runs at
    least once, and once more right at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        reason = check()
        if reason is None:
            return None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return reason
        time.sleep(min(interval, remaining))
