"""Finding a field in a JSON body by JMESPath (``items[0].sku``).

A simple path (names and indexes) that leads nowhere is an error that says how far
it got and which keys (or how many items) exist there; other JMESPath expressions
are evaluated as they are.
"""

from __future__ import annotations

import re
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError

from interlock.errors import ScenarioInputError
from interlock.matching import show

_SIMPLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[\d+\])*(\.[A-Za-z_][A-Za-z0-9_]*(\[\d+\])*)*$")
_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


class FieldNotFound(AssertionError):
    """The path leads nowhere in the actual body."""


def find(body: Any, path: str) -> Any:
    """The value at ``path``; raises :class:`FieldNotFound` when a simple path breaks."""
    if _SIMPLE.match(path):
        return _walk(body, path)
    try:
        return jmespath.search(path, body)
    except JMESPathError as exc:
        raise ScenarioInputError(
            f"{path!r} is not a valid JMESPath expression: {exc}",
            hint="write paths like items[0].sku or customer.name",
        ) from None


def _walk(body: Any, path: str) -> Any:
    node = body
    reached = "the body"
    for match in _STEP.finditer(path):
        key, index = match.group(1), match.group(2)
        if key is not None:
            if not isinstance(node, dict) or key not in node:
                raise FieldNotFound(_missing_key(path, reached, node, key))
            node = node[key]
            reached = key if reached == "the body" else f"{reached}.{key}"
        else:
            i = int(index)
            if not isinstance(node, list) or i >= len(node):
                count = (
                    f"{len(node)} items"
                    if isinstance(node, list)
                    else f"not an array: {show(node)}"
                )
                raise FieldNotFound(f"response field {path!r} not found: {reached} has {count}")
            node = node[i]
            reached = f"{reached}[{i}]"
    return node


def _missing_key(path: str, reached: str, node: Any, key: str) -> str:
    if isinstance(node, dict):
        keys = ", ".join(sorted(node)) or "no keys"
        return f"response field {path!r} not found: {reached} has no {key!r}; it has: {keys}"
    return f"response field {path!r} not found: {reached} is {show(node)}, not an object"
