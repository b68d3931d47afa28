"""Reading a step's own inputs: its doc string and table, with ``${variables}`` filled in;
refusing them where the step takes none (:func:`refuse_unexpected_input`), and naming a
value a parameter type refused (:func:`refuse_refused_value`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from interlock.errors import ScenarioInputError
from interlock.folders import inside
from interlock.lint import refused, unexpected_input
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
    """The step's doc string parsed as JSON, after variable substitution; bad JSON is
    reported at its line in the feature file."""
    text = doc_string(context, what)
    filename = getattr(getattr(context, "feature", None), "filename", None)
    first_line = getattr(context.text, "line", 0) + 1  # the doc string opens a line above
    return parse_json(variables.substitute_json(text), what, filename, first_line)


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


def table_sources(context: Any) -> list[str]:
    """``file:line`` of each row of the step's table, for messages about one row."""
    filename = getattr(getattr(context, "feature", None), "filename", "?")
    return [f"{filename}:{row.line}" for row in context.table.rows]


def data_file(context: Any, relative: str) -> Path:
    """A file named by a step, relative to the data folder (config ``paths.data``).

    It must lie inside that folder once every symlink is resolved: a step names test
    data, never ``/etc/passwd`` or ``../../.env``, whose content an error could echo
    into the report."""
    config = context.interlock.config
    folder: Path = config.data_dir
    in_root = folder.is_relative_to(config.root)
    shown_folder = f"{folder.relative_to(config.root) if in_root else folder}/"
    path = inside(folder, relative)
    if path is None:
        raise ScenarioInputError(
            f"{step_location(context)}: the file {relative!r} is outside the data folder"
            f" {shown_folder}",
            hint="put it there and name it relative to it (config paths.data names the folder)",
        )
    if not path.is_file():
        raise ScenarioInputError(
            f"{step_location(context)}: file {relative!r} not found in {shown_folder}",
            hint="paths in steps are relative to the data folder (config paths.data)",
        )
    return path


def name_value_rows(context: Any, variables: Variables, what: str) -> list[tuple[str, str]]:
    """The step's two-column table headed ``| name | value |``, as (name, value) pairs
    in order (a name may repeat)."""
    rows = table_rows(context, variables)
    headings = [h.strip().lower() for h in context.table.headings]
    if headings != ["name", "value"]:
        raise ScenarioInputError(
            f"the table of {what} must have the columns name and value, not"
            f" {' | '.join(context.table.headings)}",
            hint="start the table with the row: | name | value |",
        )
    return [(name, value) for name, value in (row.values() for row in rows)]


class UnexpectedInput(AssertionError):
    """A doc string or table under a step that takes none: the scenario is wrong (often
    an unclosed doc string swallowed the scenarios below it), so it fails."""


def refuse_unexpected_input(match: Any, context: Any) -> None:
    """As a step function starts (behave's ``Match.run``): fail the step when it was
    given a doc string or table its function does not declare (see ``interlock.lint``)."""
    text, table = getattr(context, "text", None), getattr(context, "table", None)
    if text is None and table is None:
        return
    filename = getattr(getattr(context, "feature", None), "filename", "?")
    step = _running_step(context)
    found = unexpected_input(match.func, text, table, int(getattr(step, "line", 0) or 0))
    if found is not None:
        line, message = found
        raise UnexpectedInput(f"{filename}:{line}: {message}")


class RefusedValue(ScenarioInputError):
    """A step's parameter holds a value its type refuses (an unknown product): the
    scenario is wrong, and the step says where and which values are known."""


def refuse_refused_value(match: Any, context: Any) -> None:
    """As a step starts whose parameter type refused its value (behave's
    ``MatchWithError``, which would raise a bare ``StepParseError``): fail it with the
    step's ``file:line`` and the type's own message, the one lint gives."""
    from behave.matchers import MatchWithError

    if not isinstance(match, MatchWithError):
        return
    location = getattr(match, "location", None)
    message, hint = refused(match, str(location) if location else "?")
    raise RefusedValue(f"{step_location(context)}: {message}", hint=hint)


def _running_step(context: Any) -> Any:
    """The step running now (behave marks the steps still to run ``untested``)."""
    from behave.model_core import Status

    scenario = getattr(context, "scenario", None)
    if scenario is None:
        return None
    steps = [*(scenario.background_steps if scenario.background else []), *scenario.steps]
    return next((s for s in steps if s.status == Status.untested), None)


def step_location(context: Any) -> str:
    """``file:line`` of the step running now (of the scenario, if none is found)."""
    filename = getattr(getattr(context, "feature", None), "filename", "?")
    scenario = getattr(context, "scenario", None)
    if scenario is None:
        return str(filename)
    running = _running_step(context)
    return f"{filename}:{running.line if running else scenario.line}"
