"""Reading a step's own inputs: its doc string and table, with ``${variables}`` filled in."""

from __future__ import annotations

from typing import Any

from interlock.errors import ScenarioInputError
from interlock.matching import parse_json
from interlock.variables import Variables


def doc_string(context: Any, what: str) -> str:
    text = getattr(context, "text", None)
    if text is None:
        raise ScenarioInputError(
            f"this step needs {what} as a doc string below it",
            hint='put the text between two lines of three double quotes (""")',
        )
    return str(text)


def doc_json(context: Any, variables: Variables, what: str = "the expected JSON") -> Any:
    """The step's doc string parsed as JSON, after variable substitution."""
    return parse_json(variables.substitute_json(doc_string(context, what)), what)


def json_argument(text: str, variables: Variables, what: str) -> Any:
    return parse_json(variables.substitute_json(text), what)


def table_rows(context: Any, variables: Variables) -> list[dict[str, str]]:
    """The step's table as one dict per row (header cells are the keys)."""
    table = getattr(context, "table", None)
    if table is None:
        raise ScenarioInputError(
            "this step needs a table below it",
            hint="write a header row of column names, then one row per item: | sku | stock |",
        )
    headings = [variables.substitute(h) for h in table.headings]
    return [
        {
            heading: variables.substitute(cell)
            for heading, cell in zip(headings, row.cells, strict=True)
        }
        for row in table.rows
    ]
