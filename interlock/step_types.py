"""Parameter types for step patterns, registered with behave once.

``{name:Quoted}`` is a quoted string's content (it stops at the closing quote, so a
longer phrase never swallows a shorter one), ``{n:Int}`` a whole number,
``{n:IntOrVariable}`` a whole number or one ``${variable}`` (the step converts it with
:meth:`~interlock.variables.Variables.whole_number`), ``{method:Method}`` an HTTP
method, ``{value:Json}`` the rest of the line, except a closing ``within <n> seconds``
(which belongs to the longer phrase that polls).

A project declares its own types with ``register(name, converter, ...)``; a domain type
names its allowed values (``values=``), so that lint checks them before a run, suggests
the closest one, and the step catalog lists them::

    register("Product", _product, pattern=r"[a-z][a-z ]*?", noun="product",
             values=lambda: sorted(CATALOGUE))

A value the converter refuses (it raises) becomes :class:`ParameterValueError`, which
names the value, the closest allowed ones and all of them: the same message in lint and
in the run.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from behave import register_type

from interlock.errors import InterlockError, ScenarioInputError, excerpt
from interlock.folders import shown_path
from interlock.http import METHODS
from interlock.suggest import closest

Values = Iterable[str] | Callable[[], Iterable[str]]
REFUSED = (ValueError, LookupError, InterlockError)  # how a converter refuses a text
SHOWN_VALUES = 12  # allowed values a message lists before "... (N in all)"


class _Type:
    """A converter with the ``pattern`` attribute the parse module looks for; a text it
    refuses is a :class:`ParameterValueError` naming ``noun``."""

    regex_group_count = 0

    def __init__(self, pattern: str, convert: Callable[[str], Any], noun: str = "value") -> None:
        self.pattern = pattern
        self._convert = convert
        self._noun = noun

    def __call__(self, text: str) -> Any:
        try:
            return self._convert(text)
        except REFUSED as exc:
            raise ParameterValueError(
                f"{excerpt(repr(text), 60)} is not {_article(self._noun)} {self._noun}"
                f" ({excerpt(str(exc), 100)})"
            ) from None


class ParameterValueError(ScenarioInputError):
    """A step's parameter holds a value its type does not accept (an unknown product)."""


@dataclass(frozen=True)
class ParameterType:
    """A project's parameter type, as declared with :func:`register`."""

    name: str
    pattern: str
    kind: str  # how an analyst reads it in the catalog: "a product of the shop"
    noun: str  # one value, in a message: "product"
    declared_in: str  # the file that declared it (a message points a developer there)
    convert: Callable[[str], Any] | None = None
    _values: Values | None = None

    @property
    def regex_group_count(self) -> int:
        """For the parse module: the groups of ``pattern``."""
        return re.compile(self.pattern).groups

    def values(self) -> list[str]:
        """The allowed values (empty: any value the pattern matches)."""
        if self._values is None:
            return []
        found = self._values() if callable(self._values) else self._values
        return [str(v) for v in found]

    def __call__(self, text: str) -> Any:
        allowed = self.values()
        try:
            if self.convert is not None:
                return self.convert(text)
        except REFUSED as exc:  # anything else is a defect of the converter: lint names it
            raise self.refusal(text, allowed, exc) from None
        if allowed and text not in allowed:
            raise self.refusal(text, allowed, None)
        return text

    def refusal(self, text: str, allowed: list[str], cause: Exception | None) -> Exception:
        """What a refused value reads like, in lint and in the run."""
        where = shown_path(self.declared_in)
        if not allowed:
            reason = f"{type(cause).__name__}: {cause}" if cause is not None else "refused"
            return ParameterValueError(
                f"{excerpt(repr(text), 60)} is not {_article(self.noun)} {self.noun}"
                f" ({excerpt(reason, 100)})",
                hint=f"the parameter type {self.name} is declared in {where}",
            )
        near = closest(text, allowed)
        mean = f"; did you mean {' or '.join(repr(v) for v in near)}?" if near else "."
        more = f" ... ({len(allowed)} in all)" if len(allowed) > SHOWN_VALUES else ""
        known = ", ".join(allowed[:SHOWN_VALUES]) + more
        return ParameterValueError(
            f"{excerpt(repr(text), 60)} is not {_article(self.noun)} {self.noun}{mean}"
            f" Known {_plural(self.noun)}: {known}",
            hint=f"write one of them (the {_plural(self.noun)} are declared in {where})",
        )


DECLARED: dict[str, ParameterType] = {}  # a project's types, by name


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # Python refuses more than 4300 digits
        raise ValueError(f"{len(text)} digits: far more than any count or status") from None


TYPES: dict[str, _Type] = {
    "Quoted": _Type(r'[^"]*', str),
    "Int": _Type(r"-?\d+", _whole_number, "whole number"),
    "Method": _Type("|".join(METHODS), str),
    "IntOrVariable": _Type(r"-?\d+|\$\{[A-Za-z_][A-Za-z0-9_.-]*\}", str),
    # No JSON value ends in a bare "within 5 seconds": leave that to the polling phrase.
    "Json": _Type(r"(?:(?!\s+within\s+(?:-?\d+|\$\{[^}]*\})\s+seconds?$).)+", str),
}
_registered = False


def register(
    name: str | None = None,
    converter: Callable[[str], Any] | None = None,
    *,
    pattern: str | None = None,
    values: Values | None = None,
    noun: str | None = None,
    kind: str | None = None,
    _depth: int = 1,
) -> None:
    """Without arguments: register interlock's own types with behave (once).

    With a ``name``: declare a project's parameter type, used as ``{param:Name}``.
    ``converter`` turns the matched text into the value the step receives and raises
    for a text it refuses (default: the text itself). ``pattern`` is the regular
    expression the text must match (default: the converter's ``pattern`` attribute, as
    ``parse.with_pattern`` sets it, else any text). ``values`` are the allowed values,
    or a function returning them: lint and the run name them when a value is refused
    (without a converter, a value must be one of them exactly), and the step catalog
    lists them. ``noun`` names one value in messages ("product"), ``kind`` describes
    the parameter in the catalog ("a product of the shop")."""
    global _registered
    if name is None:
        if not _registered:
            register_type(**TYPES)
            _registered = True
        return
    if not name.isidentifier():
        raise ValueError(f"a parameter type's name is a word like Product, not {name!r}")
    regex = pattern or getattr(converter, "pattern", None) or r".+?"
    declared = ParameterType(
        name=name,
        pattern=regex,
        kind=kind or (f"{_article(noun)} {noun}" if noun else name),
        noun=noun or name.lower(),
        declared_in=sys._getframe(_depth).f_code.co_filename,  # the caller's file
        convert=converter,
        _values=values,
    )
    DECLARED[name] = declared
    register_type(**{name: declared})


def _article(noun: str) -> str:
    return "an" if noun[:1].lower() in "aeiou" else "a"


def _plural(noun: str) -> str:
    if noun.endswith(("s", "x", "ch", "sh")):
        return f"{noun}es"
    if noun.endswith("y") and noun[-2:-1] not in ("a", "e", "o", "u"):
        return f"{noun[:-1]}ies"
    return f"{noun}s"
