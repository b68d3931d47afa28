"""Parameter types for step patterns, registered with behave once.

``{name:Quoted}`` is a quoted string's content (it stops at the closing quote, so a
longer phrase never swallows a shorter one), ``{n:Int}`` a whole number,
``{n:IntOrVariable}`` a whole number or one ``${variable}`` (the step converts it with
:meth:`~interlock.variables.Variables.whole_number`), ``{method:Method}`` an HTTP
method, ``{value:Json}`` the rest of the line, except a closing ``within <n> seconds``
(which belongs to the longer phrase that polls).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from behave import register_type

from interlock.http import METHODS


class _Type:
    """A converter with the ``pattern`` attribute the parse module looks for."""

    regex_group_count = 0

    def __init__(self, pattern: str, convert: Callable[[str], Any]) -> None:
        self.pattern = pattern
        self._convert = convert

    def __call__(self, text: str) -> Any:
        return self._convert(text)


TYPES: dict[str, _Type] = {
    "Quoted": _Type(r'[^"]*', str),
    "Int": _Type(r"-?\d+", int),
    "Method": _Type("|".join(METHODS), str),
    "IntOrVariable": _Type(r"-?\d+|\$\{[A-Za-z_][A-Za-z0-9_.-]*\}", str),
    # No JSON value ends in a bare "within 5 seconds": leave that to the polling phrase.
    "Json": _Type(r"(?:(?!\s+within\s+(?:-?\d+|\$\{[^}]*\})\s+seconds?$).)+", str),
}
_registered = False


def register() -> None:
    global _registered
    if not _registered:
        register_type(**TYPES)
        _registered = True
