"""``interlock lint``: the mistakes a run would find, found before it, with file and line.

It parses every feature and checks each step against the step definitions: Gherkin
syntax errors, undefined steps (with the closest phrasings: "did you mean"),
ambiguous steps, ``${variables}`` that no earlier step saves, a doc string or table
under a step that takes none (most often the sign of a doc string left unclosed above),
scenarios without a requirement tag (when config asks for one), and duplicate
scenario titles. It starts nothing.

It knows no phrasing: a step that saves a variable says so with
:func:`saves_variable`, naming the parameter that holds the variable's name; a step
that reads a doc string or a table says so with :func:`takes_doc_string` /
:func:`json_doc_string` or :func:`takes_table` / :func:`table_headers` (the run refuses
either input on any other step too: :func:`unexpected_input`).
"""

from __future__ import annotations

import difflib
import json
import re
import runpy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from behave.parser import ParserError, parse_feature
from behave.step_registry import registry

from interlock.selection import parsed_feature
from interlock.variables import BUILTINS

F = TypeVar("F", bound=Callable[..., Any])
SAVES = "_interlock_saves_variable"
WRITES = "_interlock_writes_data"
JSON_DOC = "_interlock_json_doc_string"
HEADERS = "_interlock_table_headers"
TAKES_DOC = "_interlock_takes_doc_string"
TAKES_TABLE = "_interlock_takes_table"
_REFERENCE = re.compile(r"(?<!\\)\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}")
_QUOTED = re.compile(r'"[^"]*"')
_FIELD = re.compile(r"\{([^}:]*)(?::[^}]*)?\}")


def saves_variable(parameter: str) -> Callable[[F], F]:
    """Mark a step function as setting the scenario variable named by ``parameter``."""

    def mark(func: F) -> F:
        setattr(func, SAVES, parameter)
        return func

    return mark


def writes_data(func: F) -> F:
    """Mark a step function that writes test data (lint warns if it stands under Then)."""
    setattr(func, WRITES, True)
    return func


def takes_doc_string(func: F) -> F:
    """Mark a step function that reads a doc string: any other step refuses one."""
    setattr(func, TAKES_DOC, True)
    return func


def takes_table(func: F) -> F:
    """Mark a step function that reads a table: any other step refuses one."""
    setattr(func, TAKES_TABLE, True)
    return func


def json_doc_string(func: F) -> F:
    """Mark a step function whose doc string must be JSON (lint parses it)."""
    setattr(func, JSON_DOC, True)
    return takes_doc_string(func)


def table_headers(*required: str, allowed: Sequence[str] = ()) -> Callable[[F], F]:
    """Mark a step function whose table needs these headers (and may have ``allowed``)."""

    def mark(func: F) -> F:
        setattr(func, HEADERS, (tuple(required), tuple(allowed)))
        return takes_table(func)

    return mark


def unexpected_input(func: Any, text: Any, table: Any, step_line: int) -> tuple[int, str] | None:
    """A doc string or table given to a step function that takes none: the line it starts
    on and what is wrong, or None. behave attaches either to any step, so a doc string
    whose closing quotes are missing swallows the scenarios below it into a step that
    ignores it."""
    if text is not None and not getattr(func, TAKES_DOC, False):
        line = int(getattr(text, "line", 0) or step_line + 1)
        return line, (
            f'this step takes no doc string, yet one starts at line {line}: a """ there'
            ' or above it is probably unclosed, and everything up to the next """'
            " (scenarios included) was swallowed into it"
        )
    if table is not None and not getattr(func, TAKES_TABLE, False):
        line = int(getattr(table, "line", 0) or step_line + 1)
        return line, (
            f"this step takes no table, yet one starts at line {line}: a table belongs to"
            " the step right above it (is the step that reads it missing?)"
        )
    return None


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    severity: str  # "error" or "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"


@dataclass
class StepLibrary:
    """The registered step definitions, as lint needs them."""

    matchers: list[Any]
    _matches: dict[str, list[Any]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, steps_dir: Path) -> StepLibrary:
        """Load the project's step modules (once per process) and collect their matchers."""
        if not getattr(registry, "_interlock_loaded", False):
            for path in sorted(steps_dir.glob("*.py")):
                runpy.run_path(str(path))
            registry._interlock_loaded = True
        return cls([m for group in registry.steps.values() for m in group])

    def matches(self, text: str) -> list[Any]:
        """The step definitions that match a step's text (remembered per text: a suite
        repeats the same steps many times)."""
        found = self._matches.get(text)
        if found is None:
            found = self._matches[text] = [m for m in self.matchers if m.match(text)]
        return found

    def suggestions(self, text: str, n: int = 3) -> list[str]:
        """The phrasings closest to ``text``, as an analyst reads them (``<status>``)."""
        shapes = {self.shape(m.pattern) for m in self.matchers}
        wanted = _QUOTED.sub('"<>"', text)
        compare = {_QUOTED.sub('"<>"', s): s for s in shapes}
        near = difflib.get_close_matches(wanted, list(compare), n=n, cutoff=0.6)
        return [compare[s] for s in near]

    @staticmethod
    def shape(pattern: str) -> str:
        """A pattern as a phrase: ``{status:Int}`` reads ``<status>``."""
        return _FIELD.sub(lambda m: f"<{m.group(1)}>", pattern)


def lint(
    root: Path,
    feature_files: Iterable[Path],
    library: StepLibrary,
    requirement_tag: re.Pattern[str] | None = None,
    texts: Mapping[Path, str] | None = None,
    switch: str = "",
) -> list[Problem]:
    """``texts``: a file's text as an editor holds it (unsaved), read instead of the file;
    ``switch``: where the config asks for requirement tags (``requirement_switch``)."""
    problems: list[Problem] = []
    titles: dict[str, str] = {}
    for path in feature_files:
        relative = str(path.relative_to(root))
        try:
            text = (texts or {}).get(path)
            feature = parsed_feature(path) if text is None else parse_feature(text, None, str(path))
        except ParserError as exc:
            line = getattr(exc, "line", None) or _line_of(str(exc))
            problems.append(Problem(relative, line, "error", f"not valid Gherkin: {exc}"))
            continue
        if feature is None:
            continue
        for scenario in feature.walk_scenarios(with_outlines=True):
            if getattr(scenario, "_row", None) is not None:
                continue  # an Outline's generated rows: the Outline itself is checked
            where = scenario.location.line
            known = f"{relative}:{where}"
            if scenario.name in titles:
                also = titles[scenario.name]
                message = f"duplicate scenario title {scenario.name!r} (also {also})"
                problems.append(Problem(relative, where, "warning", message))
            titles.setdefault(scenario.name, known)
            if requirement_tag is not None and not any(
                requirement_tag.fullmatch(str(t)) for t in scenario.effective_tags
            ):
                problems.append(
                    Problem(relative, where, "error",
                            f"scenario {scenario.name!r} has no requirement tag"
                            f" (tags matching {requirement_tag.pattern}){switch}")
                )  # fmt: skip
            problems += _check_steps(relative, scenario, library)
    return sorted(problems)


def lint_text(
    root: Path,
    path: Path,
    text: str,
    library: StepLibrary,
    requirement_tag: re.Pattern[str] | None = None,
    switch: str = "",
) -> list[Problem]:
    """Lint one feature's text as an editor holds it, as if saved at ``path`` (the language
    server)."""
    return lint(root, [path], library, requirement_tag, texts={path: text}, switch=switch)


def requirement_switch(origins: Mapping[str, str]) -> str:
    """What a missing requirement tag's error adds: the key that asks for one, and where
    it is set (``origins``: ``Config.origins``)."""
    where = origins.get(REQUIREMENT_KEY, "config/default.yaml").split(" (from ")[0]
    return f"; {REQUIREMENT_KEY} in {where} asks for one (false: tags are optional)"


REQUIREMENT_KEY = "report.require_requirement_tag"


def _check_steps(relative: str, scenario: Any, library: StepLibrary) -> list[Problem]:
    problems = []
    saved: set[str] = set(BUILTINS)
    outline_names = _outline_columns(scenario)
    steps = [*(scenario.background_steps if scenario.background else []), *scenario.steps]
    for step in steps:
        texts = [step.name, *(_table_cells(step)), step.text or ""]
        for text in texts:
            for name in _REFERENCE.findall(text):
                if name not in saved:
                    known = ", ".join(sorted(saved - set(BUILTINS))) or "none"
                    message = f"${{{name}}} is used before any step saves it (known here: {known})"
                    problems.append(Problem(relative, step.line, "error", message))
        text = _with_examples(step.name, outline_names)
        found = library.matches(text)
        if not found:
            near = library.suggestions(text)
            hint = f"; did you mean: {' / '.join(near)}" if near else ""
            problems.append(
                Problem(relative, step.line, "error", f"undefined step: {step.name!r}{hint}")
            )
            continue
        if len(found) > 1:
            patterns = " / ".join(m.pattern for m in found)
            problems.append(
                Problem(relative, step.line, "error", f"ambiguous step: matches {patterns}")
            )
        func = found[0].func
        problems += _check_inputs(relative, step, func)
        match = found[0].match(text)
        parameter = getattr(func, SAVES, None)
        if parameter and match is not None:
            for argument in match.arguments:
                if argument.name == parameter:
                    saved.add(str(argument.value))
    return problems


def _check_inputs(relative: str, step: Any, func: Any) -> list[Problem]:
    """What a step declares about its input: writes data, a doc string or table at all,
    a JSON doc string, table headers."""
    problems = []
    unexpected = unexpected_input(func, step.text, getattr(step, "table", None), step.line)
    if unexpected is not None:
        line, message = unexpected
        problems.append(Problem(relative, line, "error", message))
        return problems
    if getattr(func, WRITES, False) and step.step_type == "then":
        problems.append(
            Problem(relative, step.line, "warning",
                    "this step writes data but stands under Then; set up data under Given"
                    " (or act under When)")
        )  # fmt: skip
    if getattr(func, JSON_DOC, False) and step.text is not None:
        problem = _json_problem(step.text)
        if problem:
            line, message = problem
            where = step.line + 1 + line  # the doc string starts below its opening quotes
            message = f"the doc string is not JSON: {message}"
            problems.append(Problem(relative, where, "error", message))
    headers = getattr(func, HEADERS, None)
    table = getattr(step, "table", None)
    if headers and table is not None:
        required, allowed = headers
        have = list(table.headings)
        missing = [h for h in required if h not in have]
        extra = [h for h in have if h not in required and h not in allowed]
        if missing or extra:
            want = " | ".join(required) + (
                f" (and optionally {' | '.join(allowed)})" if allowed else ""
            )
            problems.append(
                Problem(relative, table.line, "error",
                        f"the table's header is | {' | '.join(have)} |; this step needs | {want} |")
            )  # fmt: skip
    return problems


def _json_problem(text: str) -> tuple[int, str] | None:
    """Where a doc string stops being JSON (its line within the doc string, 1-based)."""
    # ${name} stands for a value the run fills in: any JSON value will do here.
    filled = re.sub(r'"(?:[^"\\]|\\.)*"|(?<!\\)\$\{[^}]*\}', _placeholder, text)
    try:
        json.loads(filled)
    except json.JSONDecodeError as exc:
        return exc.lineno, f"{exc.msg} (column {exc.colno})"
    return None


def _placeholder(match: re.Match[str]) -> str:
    return match.group(0) if match.group(0).startswith('"') else "0"


def _outline_columns(scenario: Any) -> dict[str, str]:
    """For an Outline, each Examples column with its first value (steps are checked once)."""
    examples = getattr(scenario, "examples", None) or []
    for example in examples:
        table = getattr(example, "table", None)
        if table is not None and table.rows:
            return dict(zip(table.headings, table.rows[0].cells, strict=False))
    return {}


def _with_examples(text: str, columns: dict[str, str]) -> str:
    for name, value in columns.items():
        text = text.replace(f"<{name}>", value)
    return text


def _table_cells(step: Any) -> list[str]:
    table = getattr(step, "table", None)
    if table is None:
        return []
    return [*table.headings, *(cell for row in table.rows for cell in row.cells)]


def _line_of(message: str) -> int:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else 1


def report(problems: Sequence[Problem]) -> str:
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    lines = [str(p) for p in problems]
    lines.append(f"lint: {errors} error(s), {warnings} warning(s)")
    return "\n".join(lines)
