"""Choosing free TCP ports on 127.0.0.1 (port-for, as pytest-mysql uses)."""

from __future__ import annotations

import port_for


def free_port(preferred: int | None = None) -> int:
    """``preferred`` when it is free, otherwise a random free port.

    The port can still be taken before the caller binds it; callers retry with
    another one when the bind fails.
    """
    if preferred and not port_for.port_is_used(preferred):
        return preferred
    return int(port_for.select_random())
