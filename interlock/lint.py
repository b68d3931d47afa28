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
either input on any other step too: :func:`unexpected_input`); a check says which
interface it reads with :func:`reads` (shown in the step catalog).

Lint never stops at an exception: one raised by a parameter type, a step matcher or a
rule becomes a problem at the line it was checking. A Scenario Outline is checked once
per Examples row, with the row's values filled in (names, doc strings and tables), as
behave runs it.
"""

from __future__ import annotations

import json
import re
import runpy
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from behave.matchers import MatchWithError
from behave.parser import ParserError, parse_feature
from behave.step_registry import registry

from interlock import step_types
from interlock.errors import InterlockError
from interlock.folders import shown_path
from interlock.requirements import Catalog
from interlock.selection import MANUAL_TAG, SERIAL_TAG, parsed_feature
from interlock.suggest import closest
from interlock.variables import BUILTINS

F = TypeVar("F", bound=Callable[..., Any])
SAVES = "_interlock_saves_variable"
WRITES = "_interlock_writes_data"
JSON_DOC = "_interlock_json_doc_string"
HEADERS = "_interlock_table_headers"
TAKES_DOC = "_interlock_takes_doc_string"
TAKES_TABLE = "_interlock_takes_table"
READS = "_interlock_reads"
INTERFACES = ("API", "database", "page", "stand-in", "file", "log")  # what a check may read
SERIAL = "_interlock_needs_serial"
_REFERENCE = re.compile(r"(?<!\\)\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}")
_QUOTED = re.compile(r'"[^"]*"')
_FIELD = re.compile(r"\{([^}:]*)(?::[^}]*)?\}")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # never in a text file


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


def needs_serial(func: F) -> F:
    """Mark a step function that must stand in a ``@serial`` scenario (it reads what the
    whole run did, or writes what parallel scenarios must not see): lint says so."""
    setattr(func, SERIAL, True)
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


def reads(*interfaces: str) -> Callable[[F], F]:
    """Mark a check with the interfaces it reads (``"API"``, ``"database"``, ``"page"``...):
    the step catalog says so, for a reader who must know what a domain step proves."""
    for interface in interfaces:
        if interface not in INTERFACES:
            near = closest(interface, INTERFACES, n=1)
            raise ValueError(
                f"@reads({interface!r}): not an interface lint knows"
                + (f"; did you mean {near[0]!r}?" if near else "")
                + f" Known: {', '.join(INTERFACES)}"
            )

    def mark(func: F) -> F:
        setattr(func, READS, tuple(interfaces))
        return func

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


class StepDefinitionError(Exception):
    """A step definition's matcher raised while reading a step's text (a defect of
    the step definition, named in the problem it becomes)."""

    def __init__(self, matcher: Any, error: BaseException) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.where = _definition(matcher)


class StepModuleError(InterlockError):
    """A module of the project's steps folder could not be loaded."""


@dataclass
class StepLibrary:
    """The registered step definitions, as lint needs them."""

    matchers: list[Any]
    _matches: dict[str, list[Any]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, steps_dir: Path) -> StepLibrary:
        """Load the project's step modules (once per process) and collect their matchers.

        A module that raises is named with the line that raised (exit 2)."""
        if not getattr(registry, "_interlock_loaded", False):
            before = set(sys.modules)
            for path in sorted(steps_dir.glob("*.py")):
                try:
                    runpy.run_path(str(path))
                except Exception as exc:
                    raise _module_error(path, exc) from None
            registry._interlock_loaded = True
            # The modules the steps imported that define steps or parameter types
            # (interlock_steps...): a worker forked from this process forgets them and
            # the steps, so that behave loads them again (workers.ForkedWorker).
            defining = {
                getattr(m.func, "__module__", None) for g in registry.steps.values() for m in g
            }
            declared = {t.declared_in for t in step_types.DECLARED.values()}
            new = set(sys.modules) - before
            forget = {
                name
                for name in new
                if name in defining or getattr(sys.modules[name], "__file__", None) in declared
            }
            # ...and their packages imported with them (whose __init__ imports them)
            forget |= {p for n in forget for p in _packages(n) if p in new}
            registry._interlock_step_modules = sorted(forget)
        return cls([m for group in registry.steps.values() for m in group])

    def matches(self, text: str) -> list[Any]:
        """The step definitions that match a step's text, as behave finds them: one whose
        parameter type refuses a value still matches (remembered per text: a suite
        repeats the same steps many times). A matcher that raises is a
        :class:`StepDefinitionError`."""
        found = self._matches.get(text)
        if found is None:
            found = self._matches[text] = [m for m in self.matchers if _matched(m, text)]
        return found

    def suggestions(self, text: str, n: int = 3) -> list[str]:
        """The phrasings closest to ``text``, as an analyst reads them (``<status>``),
        generic and domain ones alike, ranked by the words they share."""
        shapes = [self.shape(m.pattern) for m in self.matchers]
        return closest(_QUOTED.sub('"<>"', text), shapes, n=n)

    @staticmethod
    def shape(pattern: str) -> str:
        """A pattern as a phrase: ``{status:Int}`` reads ``<status>``."""
        return _FIELD.sub(lambda m: f"<{m.group(1)}>", pattern)


def _packages(name: str) -> list[str]:
    """``a.b.c`` -> ``a``, ``a.b``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _matched(matcher: Any, text: str) -> bool:
    try:
        return bool(matcher.match(text))
    except Exception as exc:
        raise StepDefinitionError(matcher, exc) from None


def _definition(matcher: Any) -> str:
    """Where a step definition lives, and its pattern."""
    location = getattr(matcher, "location", None)
    filename = getattr(location, "filename", None)
    where = f"{shown_path(filename)}:{getattr(location, 'line', '?')}" if filename else "?"
    return f"{where} ({getattr(matcher, 'pattern', '?')!r})"


def _module_error(path: Path, exc: Exception) -> StepModuleError:
    line = 1
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename) == path:
            line = frame.lineno or 1
    if isinstance(exc, SyntaxError) and exc.filename == str(path):
        line = exc.lineno or 1
    return StepModuleError(
        f"{shown_path(str(path))}:{line}: the step module could not be loaded:"
        f" {type(exc).__name__}: {exc}",
        hint="fix that module (behave would stop at it too)",
    )


def lint(
    root: Path,
    feature_files: Iterable[Path],
    library: StepLibrary,
    requirement_tag: re.Pattern[str] | None = None,
    texts: Mapping[Path, str] | None = None,
    catalog: Catalog | None = None,
    whole_suite: bool = True,
    switch: str = "",
) -> list[Problem]:
    """Every problem of ``feature_files``. ``requirement_tag``: each scenario must carry a
    tag it matches; ``texts``: a file's text as an editor holds it (unsaved), read instead
    of the file. With the requirements ``catalog``, a requirement tag it does not list is
    an error; and, when ``feature_files`` are the ``whole_suite``, each of its
    requirements no scenario names is a warning. ``switch``: where the config asks for
    requirement tags (``requirement_switch``)."""
    problems: list[Problem] = []
    titles: dict[str, str] = {}
    rules = _Rules(
        requirement_tag, catalog if catalog is not None and catalog.path else None, switch
    )
    for path in feature_files:
        relative = _relative(path, root)
        try:
            text = (texts or {}).get(path)
            problems += _lint_file(path, relative, library, rules, titles, text)
        except Exception as exc:  # a defect of lint itself: named, never a traceback
            problems.append(Problem(relative, 1, "error", _failed("this file", exc)))
    if rules.catalog is not None and rules.catalog.path is not None and whole_suite:
        catalog_file = rules.catalog.path.name
        problems += [
            Problem(catalog_file, r.line, "warning",
                    f"{r.label}: no scenario names it (tag one @{r.id}): untested")
            for r in rules.catalog if r.id not in rules.named
        ]  # fmt: skip
    return sorted(set(problems))


@dataclass(frozen=True)
class _Rules:
    requirement_tag: re.Pattern[str] | None
    catalog: Catalog | None
    switch: str = ""  # what a missing tag's error adds: the key that asks for one, and where
    named: set[str] = field(default_factory=set)  # the catalog's requirements tagged so far


def _lint_file(
    path: Path,
    relative: str,
    library: StepLibrary,
    rules: _Rules,
    titles: dict[str, str],
    text: str | None,
) -> list[Problem]:
    try:
        feature = parsed_feature(path) if text is None else parse_feature(text, None, str(path))
    except ParserError as exc:
        reason = str(exc.args[0]) if exc.args else str(exc)  # str() starts with the path
        line = getattr(exc, "line", None) or _line_of(reason)
        return [Problem(relative, line, "error", f"not valid Gherkin: {reason}")]
    except OSError as exc:
        return [Problem(relative, 1, "error", f"cannot be read: {exc.strerror or exc}")]
    data = path.read_bytes() if text is None else text.encode("utf-8", "surrogatepass")
    problems = _control_characters(data, relative)
    if feature is None:
        return problems
    for scenario in feature.walk_scenarios(with_outlines=True):
        if getattr(scenario, "_row", None) is not None:
            continue  # an Outline's generated rows: checked with their Outline
        try:
            problems += _check_scenario(relative, scenario, library, rules, titles)
        except Exception as exc:
            problems.append(
                Problem(relative, scenario.location.line, "error", _failed("this scenario", exc))
            )
    return problems


def _control_characters(data: bytes, relative: str) -> list[Problem]:
    """A control character (a NUL...) is valid UTF-8 but no text: a binary file, or one
    damaged in transit."""
    found = _CONTROL.search(data)
    if found is None:
        return []
    line = data.count(b"\n", 0, found.start()) + 1
    return [
        Problem(relative, line, "error",
                f"a control character (byte 0x{data[found.start()]:02x}) at line {line}:"
                " this is not a text file, or it was damaged; remove the character")
    ]  # fmt: skip


def _check_scenario(
    relative: str, scenario: Any, library: StepLibrary, rules: _Rules, titles: dict[str, str]
) -> list[Problem]:
    problems = []
    where = scenario.location.line
    known = f"{relative}:{where}"
    if scenario.name in titles:
        also = titles[scenario.name]
        message = f"duplicate scenario title {scenario.name!r} (also {also})"
        problems.append(Problem(relative, where, "warning", message))
    titles.setdefault(scenario.name, known)
    problems += _check_requirements(relative, scenario, rules)
    if rules.catalog is not None:
        problems += _requirement_tags(relative, scenario, rules.catalog, rules.named)
    if MANUAL_TAG in scenario.effective_tags:  # a person's steps: no step code
        return problems
    if hasattr(scenario, "examples"):
        return problems + _check_outline(relative, scenario, library)
    return problems + _check_steps(relative, scenario, library)


def _check_requirements(relative: str, scenario: Any, rules: _Rules) -> list[Problem]:
    """A requirement tag on the scenario, when config asks for one (whether the tag names
    a requirement of the catalog is :func:`_requirement_tags`)."""
    tag = rules.requirement_tag
    if tag is None:
        return []
    where = scenario.location.line
    named = [str(t) for t in scenario.effective_tags if tag.fullmatch(str(t))]
    if not named:
        return [
            Problem(relative, where, "error",
                    f"scenario {scenario.name!r} has no requirement tag"
                    f" (tags matching {tag.pattern}){rules.switch}")
        ]  # fmt: skip
    return []


def _check_outline(relative: str, outline: Any, library: StepLibrary) -> list[Problem]:
    """Each Examples row as behave runs it: its values filled into the step texts, doc
    strings and tables. A problem every row shares, on a step no value reaches, is told
    once; any other names the row it comes from."""
    rows = list(outline.scenarios)
    if not rows:
        return [
            Problem(relative, outline.location.line, "warning",
                    "this Scenario Outline has no Examples rows, so it never runs")
        ]  # fmt: skip
    columns = {h for example in outline.examples if example.table for h in example.table.headings}
    filled = {
        step.line
        for step in [*outline.background_steps, *outline.steps]
        if any(f"<{c}>" in part for c in columns for part in _parts(step))
    }
    per_row = [(row, _check_steps(relative, row, library)) for row in rows]
    everywhere = set.intersection(*(set(found) for _, found in per_row))
    problems = []
    for row, found in per_row:
        for problem in found:
            step_line = _step_line(problem, outline)
            if problem in everywhere and step_line not in filled:
                problems.append(problem)
            else:
                line = row._row.line
                message = f"{problem.message} (with the Examples row at line {line})"
                problems.append(Problem(problem.file, problem.line, problem.severity, message))
    return problems


def _parts(step: Any) -> list[str]:
    return [step.name, step.text or "", *_table_cells(step)]


def _step_line(problem: Problem, outline: Any) -> int:
    """The line of the step a problem belongs to (a doc string's problem lies below it)."""
    lines = [s.line for s in [*outline.background_steps, *outline.steps] if s.line <= problem.line]
    return max(lines, default=problem.line)


def lint_text(
    root: Path,
    path: Path,
    text: str,
    library: StepLibrary,
    requirement_tag: re.Pattern[str] | None = None,
    catalog: Catalog | None = None,
    switch: str = "",
) -> list[Problem]:
    """Lint one feature's text as an editor holds it, as if saved at ``path`` (the language
    server); with the requirements ``catalog``, its tags are checked against it."""
    return lint(
        root,
        [path],
        library,
        requirement_tag,
        {path: text},
        catalog=catalog,
        whole_suite=False,
        switch=switch,
    )


def requirement_switch(origins: Mapping[str, str]) -> str:
    """What a missing requirement tag's error adds: the key that asks for one, and where
    it is set (``origins``: ``Config.origins``)."""
    where = origins.get(REQUIREMENT_KEY, "config/default.yaml").split(" (from ")[0]
    return f"; {REQUIREMENT_KEY} in {where} asks for one (false: tags are optional)"


REQUIREMENT_KEY = "report.require_requirement_tag"


def _requirement_tags(
    relative: str, scenario: Any, catalog: Catalog, named: set[str]
) -> list[Problem]:
    """A requirement tag the catalog does not list, with the nearest it does."""
    problems = []
    for name in sorted(str(t) for t in scenario.effective_tags if catalog.names(str(t))):
        named.add(name)
        if name not in catalog:
            near = catalog.near(name)
            hint = f"; did you mean {' / '.join(near)}?" if near else ""
            problems.append(
                Problem(relative, scenario.location.line, "error",
                        f"@{name} is not in {catalog.path.name if catalog.path else 'the catalog'}"
                        f" (the requirements catalog){hint}")
            )  # fmt: skip
    return problems


def _check_steps(relative: str, scenario: Any, library: StepLibrary) -> list[Problem]:
    problems: list[Problem] = []
    saved: set[str] = set(BUILTINS)
    steps = [*(scenario.background_steps if scenario.background else []), *scenario.steps]
    for step in steps:
        try:
            problems += _check_step(relative, scenario, step, library, saved)
        except StepDefinitionError as exc:
            problems.append(
                Problem(relative, step.line, "error",
                        f"the step definition {exc.where} failed on this step: {exc}"
                        " (a defect of that step definition, not of the feature)")
            )  # fmt: skip
        except Exception as exc:
            problems.append(Problem(relative, step.line, "error", _failed("this step", exc)))
    return problems


def _check_step(
    relative: str, scenario: Any, step: Any, library: StepLibrary, saved: set[str]
) -> list[Problem]:
    problems = []
    for text in [step.name, *(_table_cells(step)), step.text or ""]:
        for name in _REFERENCE.findall(text):
            if name not in saved:
                known = ", ".join(sorted(saved - set(BUILTINS))) or "none"
                message = f"${{{name}}} is used before any step saves it (known here: {known})"
                problems.append(Problem(relative, step.line, "error", message))
    text = step.name
    found = library.matches(text)
    if not found:
        near = library.suggestions(text)
        hint = f"; did you mean: {' / '.join(near)}" if near else ""
        problems.append(
            Problem(relative, step.line, "error",
                    f"undefined step: {text!r}{_unfilled(text, scenario)}{hint}")
        )  # fmt: skip
        return problems
    if len(found) > 1:
        patterns = " / ".join(m.pattern for m in found)
        problems.append(
            Problem(relative, step.line, "error", f"ambiguous step: matches {patterns}")
        )
    func = found[0].func
    match = found[0].match(text)
    if isinstance(match, MatchWithError):
        said, todo = refused(match, _definition(found[0]))
        said = f"{said}; {todo}" if todo else said
        problems.append(Problem(relative, step.line, "error", said))
        return problems
    problems += _check_inputs(relative, step, func)
    if getattr(func, SERIAL, False) and SERIAL_TAG not in scenario.effective_tags:
        problems.append(
            Problem(relative, step.line, "error",
                    "this step must stand in a @serial scenario (those run after the"
                    " parallel part, one at a time): tag the scenario @serial")
        )  # fmt: skip
    parameter = getattr(func, SAVES, None)
    if parameter and match is not None:
        for argument in match.arguments or ():
            if argument.name == parameter:
                saved.add(str(argument.value))
    return problems


def refused(match: Any, definition: str) -> tuple[str, str | None]:
    """What a step parameter's type said when it refused the step's value (behave's
    ``MatchWithError``), and what to do: the type's own words for a refused value, else
    the ``definition`` whose parameter type failed."""
    error = getattr(match, "stored_error", None)
    if isinstance(error, InterlockError):
        return error.message, error.hint
    return (
        f"the step definition {definition} could not read this step's parameters:"
        f" {type(error).__name__}: {error}",
        "this is a defect of its parameter type, not of the feature: tell whoever maintains"
        " the steps",
    )


def _unfilled(text: str, scenario: Any) -> str:
    """For an Outline's row: the ``<placeholders>`` no Examples column filled."""
    row = getattr(scenario, "_row", None)
    if row is None:
        return ""
    left = [p for p in re.findall(r"<([^<>]+)>", text) if p not in row.headings]
    if not left:
        return ""
    columns = ", ".join(row.headings)
    return f" (no Examples column is named {', '.join(left)}; the columns: {columns})"


def _failed(what: str, exc: Exception) -> str:
    return (
        f"lint could not check {what}: {type(exc).__name__}: {exc}"
        " (a defect of interlock or of a step definition: please report it with this line)"
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


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
    except RecursionError:
        return 1, "nested too deeply to read"
    return None


def _placeholder(match: re.Match[str]) -> str:
    return match.group(0) if match.group(0).startswith('"') else "0"


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
