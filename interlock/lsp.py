"""``interlock lsp``: a Gherkin language server any LSP editor starts over stdin/stdout.

It loads the project's steps once, as lint does (behave's registry, from the
``steps/`` folder of the project root), and offers:

- completion of step phrases after Given/When/Then/And/But, filtered by what is typed,
  with the parameters as snippet placeholders;
- hover on a step: its explanation (the step function's docstring) and an example;
- diagnostics from ``interlock lint`` while typing (the text the editor holds, unsaved);
- go-to-definition of a step: the step function's file and line.

Nothing but LSP messages ever reaches stdout: the protocol writes to a private copy of
file descriptor 1, which itself is pointed at stderr before any step module is loaded
(a ``print`` in a step module, behave or a C library lands on stderr). Any text is
accepted; what lint cannot check becomes a diagnostic, never a crash.

The first part of this module (up to ``Project``) is pure: it knows lines of text and
step definitions, and is unit-tested without a server.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock import catalog
from interlock.lint import HEADERS, JSON_DOC, Problem, StepLibrary, lint_text

log = logging.getLogger("interlock.lsp")

KEYWORDS = ("Given", "When", "Then", "And", "But", "*")
_STEP = re.compile(r"^(\s*)(Given|When|Then|And|But|\*)(?:\s|$)")
_SECTION = re.compile(
    r"^\s*(Feature|Rule|Background|Scenario|Scenario Outline|Scenario Template|Example"
    r"|Examples|Scenarios)\s*:"
)
_FIELD = re.compile(r"\{\{|\}\}|\{([^{}:]*)(?::([^{}]*))?\}")  # {{ and }} are braces
_NEWLINE = re.compile(r"\r\n|\r|\n")
PLACEHOLDERS = {"Method": "GET"}  # a parameter type's placeholder, where its name reads worse
MAX_ITEMS = 100


def split_lines(text: str) -> list[str]:
    """Lines as LSP counts them (``\\n``, ``\\r\\n`` or ``\\r`` ends one), without their ends."""
    return _NEWLINE.split(text)


# -- where the steps are in a text ------------------------------------------------------------


@dataclass(frozen=True)
class StepLine:
    keyword: str
    step_type: str  # given, when or then (And/But take the one above)
    text: str  # the step's text after the keyword, trailing spaces removed
    start: int  # the column (code points) where the text starts


def step_at(lines: Sequence[str], row: int) -> StepLine | None:
    """The step on line ``row`` (0-based), or None if that line is no step (a doc string's
    content, a table, a comment, a title, ...)."""
    if not 0 <= row < len(lines):
        return None
    step_type = "given"
    fence: str | None = None
    for number in range(row + 1):
        line = lines[number]
        stripped = line.strip()
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            continue
        if stripped.startswith(('"""', "```")):
            fence = stripped[:3]
            continue
        if _SECTION.match(line):
            step_type = "given"
            continue
        match = _STEP.match(line)
        if match is None:
            continue
        keyword = match.group(2)
        if keyword in ("Given", "When", "Then"):
            step_type = keyword.lower()
        if number == row:
            start = match.end()
            rest = line[start:]
            start += len(rest) - len(rest.lstrip())
            return StepLine(keyword, step_type, line[start:].rstrip(), start)
    return None


_EXAMPLES = re.compile(r"^\s*(Examples|Scenarios)\s*:")


def outline_values(lines: Sequence[str], row: int) -> dict[str, str]:
    """For a step of a Scenario Outline on line ``row``: each Examples column with its
    first value (lint checks an Outline's steps with them too); else nothing."""
    headings: list[str] | None = None
    examples = False
    fence: str | None = None
    for line in lines[row + 1 :]:
        stripped = line.strip()
        if fence is not None:
            fence = None if stripped.startswith(fence) else fence
            continue
        if stripped.startswith(('"""', "```")):
            fence = stripped[:3]
        elif _EXAMPLES.match(line):
            examples = True
        elif _SECTION.match(line):
            break  # the next scenario: this one has no Examples
        elif examples and stripped.startswith("|"):
            cells = [cell.strip() for cell in stripped.strip("|").split("|")]
            if headings is None:
                headings = cells
            else:
                return dict(zip(headings, cells, strict=False))
    return {}


def with_examples(text: str, lines: Sequence[str], row: int) -> str:
    """A step's text with its Outline placeholders (``<count>``) filled from the Examples."""
    if "<" not in text:
        return text
    for name, value in outline_values(lines, row).items():
        text = text.replace(f"<{name}>", value)
    return text


# -- what the server knows of each step definition -------------------------------------------


@dataclass
class StepHelp:
    """One step function, as an analyst reads it."""

    function: str
    area: str
    phrases: list[str]
    summary: str  # the docstring's first paragraph, on one line
    details: str  # the rest of the docstring
    parameters: list[tuple[str, str]]
    example: str  # a step from the features using it, or the phrase with its placeholders
    file: str
    line: int  # 1-based, the decorator that holds the phrase (or the function)


@dataclass(frozen=True)
class Phrase:
    """One phrasing of a step (a function may have several)."""

    phrase: str  # ``I send a <method> request to "<path>"``
    pattern: str
    step_type: str  # given, when, then or step (any)
    snippet: str  # ``I send a ${1:GET} request to "${2:path}"``
    parts: tuple[str | _Parameter, ...]  # lower-case literal text, or a parameter
    help: StepHelp
    line: int
    func: Any = field(default=None, repr=False, compare=False)


@dataclass
class StepIndex:
    phrases: list[Phrase] = field(default_factory=list)
    library: StepLibrary | None = None
    by_matcher: dict[tuple[int, str], Phrase] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, library: StepLibrary, examples: dict[str, str] | None = None) -> StepIndex:
        """``examples``: a step text from the features, by phrase (see :func:`examples`)."""
        examples = examples or {}
        helps: dict[Any, StepHelp] = {}
        phrases = []
        colon = {(m.func, m.pattern) for m in library.matchers if m.pattern.endswith(":")}
        for matcher in library.matchers:
            func = matcher.func
            if (func, matcher.pattern + ":") in colon:
                continue  # "the request headers" when "the request headers:" exists
            shape = StepLibrary.shape(matcher.pattern)
            file, first = _source(func)
            info = helps.get(func)
            if info is None:
                summary, details = _docstring(func)
                info = helps[func] = StepHelp(
                    function=func.__name__,
                    area=_area(func),
                    phrases=[],
                    summary=summary,
                    details=details,
                    parameters=[],
                    example="",
                    file=file,
                    line=first,
                )
            info.phrases.append(shape)
            for name, kind in _fields(matcher.pattern):
                readable = catalog.readable_kind(kind)
                if (name, readable) not in info.parameters:
                    info.parameters.append((name, readable))
            if not info.example or shape in examples:
                info.example = examples.get(shape) or _filled(matcher.pattern)
            phrases.append(
                Phrase(
                    phrase=shape,
                    pattern=matcher.pattern,
                    step_type=str(getattr(matcher, "step_type", "step") or "step"),
                    snippet=snippet(matcher.pattern, func),
                    parts=_parts(matcher.pattern),
                    help=info,
                    line=_decorator_line(func, matcher.pattern, file, first),
                    func=func,
                )
            )
        by_matcher = {(id(p.help), p.pattern): p for p in phrases}
        keys = {}
        for matcher in library.matchers:
            info = helps[matcher.func]
            phrase = by_matcher.get((id(info), matcher.pattern)) or by_matcher.get(
                (id(info), matcher.pattern + ":")
            )
            if phrase is not None:
                keys[(id(matcher), matcher.pattern)] = phrase
        return cls(phrases, library, keys)

    def complete(self, typed: str, step_type: str = "step") -> list[tuple[Phrase, str]]:
        """The phrasings that what is typed after the keyword can still become (a prefix of
        the phrase, with values its parameters' types accept), each with its snippet, the
        values typed so far kept in it; failing any, the phrasings holding every typed word."""
        usable = [p for p in self.phrases if p.step_type in ("step", step_type)]
        found = []
        for phrase in usable:
            values = _prefix_match(typed, phrase.parts)
            if values is not None:
                found.append((phrase, snippet(phrase.pattern, phrase.func, values)))
        if not found:
            words = typed.lower().split()
            found = [(p, p.snippet) for p in usable if all(w in p.phrase.lower() for w in words)]
        return sorted(found, key=lambda found: found[0].phrase.lower())[:MAX_ITEMS]

    def find(self, text: str) -> Phrase | None:
        """The phrasing a step's text matches (lint's own matching), or None."""
        if self.library is None:
            return None
        try:
            found = self.library.matches(text)
        except Exception:  # a step type that raises: lint reports it; here, no match
            return None
        if not found:
            return None
        return self.by_matcher.get((id(found[0]), found[0].pattern))

    def hover(self, text: str) -> str | None:
        """Markdown for a step's text: what the step does, its parameters, an example."""
        phrase = self.find(text)
        if phrase is None:
            if self.library is None:
                return None
            try:
                near = self.library.suggestions(text)
            except Exception:
                near = []
            hint = "".join(f"\n- `{s}`" for s in near)
            return "**No step matches this text.**" + (f" Did you mean:{hint}" if hint else "")
        info = phrase.help
        out = [f"**{phrase.phrase}**  ({info.area})"]
        if info.summary:
            out += ["", info.summary]
        if info.details:
            out += ["", info.details]
        if info.parameters:
            shown = ", ".join(f"`{name}` ({kind})" for name, kind in info.parameters)
            out += ["", f"Parameters: {shown}."]
        if info.example:
            out += ["", f"Example: `{info.example}`"]
        others = [p for p in info.phrases if p != phrase.phrase]
        if others:
            out += ["", "Also: " + ", ".join(f"`{p}`" for p in others)]
        return "\n".join(out)

    def definition(self, text: str) -> tuple[str, int] | None:
        """The file and line (1-based) of the step function a step's text runs."""
        phrase = self.find(text)
        return (phrase.help.file, phrase.line) if phrase else None


def examples(library: StepLibrary, features: Sequence[Path], root: Path) -> dict[str, str]:
    """A step text from the features for each phrase (the catalog's own examples)."""
    found: dict[str, str] = {}
    for entry in catalog.collect(library, features, root):
        if entry.examples:
            text = entry.examples[0].rsplit("  (", 1)[0]
            for phrase in entry.phrases:
                found.setdefault(phrase, text)
    return found


def snippet(pattern: str, func: Any = None, values: Sequence[str] = ()) -> str:
    """A step pattern as an LSP snippet: each parameter a numbered placeholder (its value in
    ``values``, else its name); a step that needs a table or a JSON doc string gets its
    skeleton on the lines below."""
    out = []
    count = 0
    for token in _tokens(pattern):
        if isinstance(token, str):
            out.append(_escape(token))
            continue
        name, kind = token
        shown = values[count] if count < len(values) else PLACEHOLDERS.get(kind, name or "text")
        count += 1
        out.append(f"${{{count}:{_escape(shown)}}}")
    if pattern.endswith(":") and func is not None:
        headers = getattr(func, HEADERS, None)
        if headers:
            names = list(headers[0])
            cells = []
            for name in names:
                count += 1
                cells.append(f"${{{count}:{_escape(name)}}}")
            out.append(
                f"\n  | {' | '.join(_escape(n) for n in names)} |\n  | {' | '.join(cells)} |"
            )
        elif getattr(func, JSON_DOC, False):
            out.append(f'\n  """\n  ${{{count + 1}:{{\\}}}}\n  """')
    return "".join(out)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("}", "\\}")


def _tokens(pattern: str) -> list[str | tuple[str, str]]:
    """A parse pattern as literal text and (name, type) parameters."""
    tokens: list[str | tuple[str, str]] = []
    end = 0
    for match in _FIELD.finditer(pattern):
        literal = pattern[end : match.start()]
        if match.group(0) in ("{{", "}}"):
            literal += match.group(0)[0]
        if literal:
            if tokens and isinstance(tokens[-1], str):
                tokens[-1] += literal
            else:
                tokens.append(literal)
        if match.group(0) not in ("{{", "}}"):
            tokens.append((match.group(1), match.group(2) or ""))
        end = match.end()
    if pattern[end:]:
        if tokens and isinstance(tokens[-1], str):
            tokens[-1] += pattern[end:]
        else:
            tokens.append(pattern[end:])
    return tokens


def _fields(pattern: str) -> list[tuple[str, str]]:
    return [token for token in _tokens(pattern) if not isinstance(token, str)]


def _filled(pattern: str) -> str:
    """A pattern with each parameter's placeholder: an example when the features have none."""
    return "".join(
        t if isinstance(t, str) else PLACEHOLDERS.get(t[1], f"<{t[0]}>") for t in _tokens(pattern)
    )


@dataclass(frozen=True)
class _Parameter:
    """A parameter of a phrase, for matching what is typed: its type's regular expression."""

    regex: re.Pattern[str]
    words: tuple[str, ...]  # a type that is a choice of words (``GET|POST|...``): the words

    def accepts(self, text: str, last: bool) -> bool:
        """Whether ``text`` can be this parameter's value (``last``: still being typed); an
        Outline's ``<placeholder>`` can be any."""
        if self.regex.fullmatch(text) or _PLACEHOLDER.fullmatch(text):
            return True
        return last and (not text or any(w.startswith(text) for w in self.words))


_PLACEHOLDER = re.compile(r"<[^<>]+>")
_BUILTIN = {"d": r"-?\d+", "w": r"\w+", "": r".+?"}  # parse's own format types we may meet


def _parameter(kind: str) -> _Parameter:
    from behave.matchers import ParseMatcher

    pattern = getattr(ParseMatcher.TYPE_REGISTRY.get(kind), "pattern", None)
    if not isinstance(pattern, str):
        pattern = _BUILTIN.get(kind, r".+?")
    try:
        regex = re.compile(pattern)
    except re.error:
        regex = re.compile(r".+?")
    words = tuple(pattern.split("|")) if re.fullmatch(r"\w+(\|\w+)*", pattern) else ()
    return _Parameter(regex, words)


def _parts(pattern: str) -> tuple[str | _Parameter, ...]:
    return tuple(t.lower() if isinstance(t, str) else _parameter(t[1]) for t in _tokens(pattern))


def _prefix_match(
    typed: str, parts: tuple[str | _Parameter, ...], i: int = 0, at: int = 0
) -> list[str] | None:
    """Whether ``typed[at:]`` can be the start of ``parts[i:]`` (its literal text in any case,
    values its parameters' types accept): the values typed for its parameters, else None."""
    if at == len(typed):
        return []
    if i == len(parts):
        return None
    part = parts[i]
    if isinstance(part, _Parameter):
        for k in range(at, len(typed)):
            if part.accepts(typed[at:k], last=False):
                later = _prefix_match(typed, parts, i + 1, k)
                if later is not None:
                    return [typed[at:k], *later]
        tail = typed[at:]
        if part.accepts(tail, last=True):
            return [tail] if part.regex.fullmatch(tail) else []
        return None
    rest = typed[at:].lower()
    if rest.startswith(part):
        return _prefix_match(typed, parts, i + 1, at + len(part))
    return [] if part.startswith(rest) else None


def _docstring(func: Any) -> tuple[str, str]:
    doc = inspect.getdoc(func) or ""
    first, _, rest = doc.strip().partition("\n\n")
    return " ".join(first.split()), rest.strip()


def _area(func: Any) -> str:
    module = str(getattr(func, "__module__", "") or "").rsplit(".", 1)[-1]
    if module in ("<run_path>", "__main__", ""):
        module = Path(func.__code__.co_filename).stem
    return catalog.AREAS.get(module, module.removesuffix("_steps").replace("_", " ").title())


def _source(func: Any) -> tuple[str, int]:
    code = getattr(inspect.unwrap(func), "__code__", None)
    if code is None:
        return "", 0
    return str(Path(code.co_filename).resolve()), int(code.co_firstlineno)


def _decorator_line(func: Any, pattern: str, file: str, first: int) -> int:
    """The line of the decorator that holds ``pattern`` (aliases have their own), else the
    function's first line."""
    try:
        lines, start = inspect.getsourcelines(func)
    except (OSError, TypeError):
        return first
    for offset, line in enumerate(lines):
        if line.lstrip().startswith("def "):
            break
        if pattern in line:
            return start + offset
    return start


# -- the project: its steps, config and lint ------------------------------------------------


@dataclass
class Project:
    """What the server knows of the project it edits: loaded once, at ``initialize``."""

    root: Path
    index: StepIndex
    library: StepLibrary | None = None
    requirement_tag: re.Pattern[str] | None = None
    notes: list[str] = field(default_factory=list)  # shown to the user once

    @classmethod
    def load(cls, start: Path, env: str | None = None, overrides: Sequence[str] = ()) -> Project:
        from interlock.config import find_root, load_config
        from interlock.errors import InterlockError

        notes: list[str] = []
        try:
            root = find_root(start)
        except InterlockError as exc:
            notes.append(f"interlock: {exc}; only Gherkin syntax is checked")
            return cls(start.resolve(), StepIndex(), notes=notes)
        requirement_tag = None
        features = root / "features"
        try:
            config = load_config(root, env=env, overrides=overrides)
            features = config.features_dir
            if config.report.require_requirement_tag:
                requirement_tag = config.report.requirement_tag
        except Exception as exc:  # InterlockError names file and key; anything else, its type
            shown = str(exc) if isinstance(exc, InterlockError) else f"{type(exc).__name__}: {exc}"
            notes.append(f"interlock: config not read ({shown}); requirement tags are not checked")
        try:
            with contextlib.redirect_stdout(sys.stderr):  # a step module that prints
                library = StepLibrary.load(root / "steps")
        except BaseException as exc:  # a step module may raise anything, SystemExit included
            if isinstance(exc, KeyboardInterrupt):
                raise
            where = _innermost(exc)
            notes.append(
                f"interlock: the steps in {root / 'steps'} could not be loaded ({where}"
                f"{type(exc).__name__}: {exc}); only Gherkin syntax is checked"
            )
            log.warning("loading the steps failed:\n%s", traceback.format_exc())
            return cls(root, StepIndex(), notes=notes)
        try:
            found = examples(library, sorted(features.rglob("*.feature")), root)
        except Exception:  # examples are a nicety: the phrases do without them
            log.warning("no examples from the features:\n%s", traceback.format_exc())
            found = {}
        return cls(root, StepIndex.build(library, found), library, requirement_tag, notes)

    def diagnose(self, path: Path, text: str) -> list[Problem]:
        """lint's problems for ``text`` as the file ``path``; never raises."""
        root = self.root if path.is_relative_to(self.root) else path.parent
        relative = str(path.relative_to(root))
        try:
            if self.library is None:
                return _syntax(path, relative, text)
            return lint_text(root, path, text, self.library, self.requirement_tag)
        except Exception as exc:
            log.warning("lint failed on %s:\n%s", path, traceback.format_exc())
            line = _line_in(exc, path)
            message = f"lint could not check this file: {type(exc).__name__}: {exc}"
            return [Problem(relative, line, "error", message)]


def _syntax(path: Path, relative: str, text: str) -> list[Problem]:
    from behave.parser import ParserError, parse_feature

    try:
        parse_feature(text, None, str(path))
    except ParserError as exc:
        line = getattr(exc, "line", None) or 1
        return [Problem(relative, int(line), "error", f"not valid Gherkin: {exc}")]
    return []


def _line_in(exc: BaseException, path: Path) -> int:
    """The feature line an exception names, if any (behave's errors say ``line N``)."""
    line = getattr(exc, "line", None)
    if isinstance(line, int) and line > 0:
        return line
    found = re.search(r"line (\d+)", str(exc))
    return int(found.group(1)) if found else 1


def _innermost(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}: " if frames else ""


# -- the server --------------------------------------------------------------------------------


def create_server(load: Callable[[Path], Project], state: _State | None = None) -> Any:
    """The language server; ``load`` gives the project of a folder (at ``initialize``)."""
    from lsprotocol import types as t
    from pygls.lsp.server import LanguageServer
    from pygls.uris import from_fs_path, to_fs_path

    server = LanguageServer(
        "interlock", _version(), text_document_sync_kind=t.TextDocumentSyncKind.Full
    )
    state = state or _State()

    def lines_of(uri: str) -> tuple[Any, list[str]]:
        document = server.workspace.get_text_document(uri)
        cached = state.lines.get(uri)
        if cached is None or cached[0] is not document.source:
            cached = state.lines[uri] = (document.source, split_lines(document.source))
        return document, cached[1]

    def step_under(uri: str, position: Any) -> tuple[StepLine, int, Any, list[str]] | None:
        if uri not in state.open:
            return None
        document, lines = lines_of(uri)
        step = step_at(lines, position.line)
        if step is None:
            return None
        column = document.position_codec.position_from_client_units(lines, position).character
        return step, column, document, lines

    def text_range(document: Any, lines: list[str], row: int, start: int, end: int) -> Any:
        codec = document.position_codec
        line = lines[row]
        return t.Range(
            t.Position(row, codec.client_num_units(line[:start])),
            t.Position(row, codec.client_num_units(line[:end])),
        )

    def path_of(uri: str) -> Path:
        path = to_fs_path(uri) if uri.startswith("file:") else None
        if path:
            return Path(path)
        name = re.sub(r"[^\w.-]+", "_", uri.rsplit("/", 1)[-1]) or "untitled"
        return state.project.root / (name if name.endswith(".feature") else f"{name}.feature")

    @server.feature(t.INITIALIZE)
    def initialize(ls: Any, params: t.InitializeParams) -> None:
        start = Path.cwd()
        folders = params.workspace_folders or []
        uri = folders[0].uri if folders else params.root_uri
        if uri and (folder := to_fs_path(uri)) and Path(folder).is_dir():
            start = Path(folder)
        elif params.root_path and Path(params.root_path).is_dir():
            start = Path(params.root_path)
        try:
            state.project = load(start)
        except Exception as exc:  # whatever went wrong, the editor keeps a server that answers
            log.warning("loading the project failed:\n%s", traceback.format_exc())
            note = f"interlock: the project was not loaded ({type(exc).__name__}: {exc})"
            state.project = Project(start, StepIndex(), notes=[note])

    @server.feature(t.INITIALIZED)
    def initialized(ls: Any, params: t.InitializedParams) -> None:
        for note in state.project.notes:
            ls.window_show_message(t.ShowMessageParams(t.MessageType.Warning, note))

    @server.feature(t.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: Any, params: t.DidOpenTextDocumentParams) -> None:
        state.open.add(params.text_document.uri)
        schedule(params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: Any, params: t.DidChangeTextDocumentParams) -> None:
        schedule(params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: Any, params: t.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        state.open.discard(uri)
        state.lines.pop(uri, None)
        ls.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri, []))

    def schedule(uri: str) -> None:
        """Lint the document's latest text; while one lint runs, later changes wait and only
        the newest text is linted after it (typing faster than lint costs nothing)."""
        if uri in state.linting:
            state.stale.add(uri)
            return
        state.linting.add(uri)
        task = asyncio.ensure_future(lint_loop(uri))
        state.tasks.add(task)
        task.add_done_callback(state.tasks.discard)

    async def lint_loop(uri: str) -> None:
        loop = asyncio.get_running_loop()
        try:
            while uri in state.open:
                state.stale.discard(uri)
                document = server.workspace.get_text_document(uri)
                text, version = document.source, document.version
                path = path_of(uri)
                problems = await loop.run_in_executor(
                    state.executor, state.project.diagnose, path, text
                )
                if uri in state.stale:
                    continue  # the text changed meanwhile: lint the new one
                if uri in state.open:
                    diagnostics = to_diagnostics(problems, document, uri)
                    server.text_document_publish_diagnostics(
                        t.PublishDiagnosticsParams(uri, diagnostics, version)
                    )
                return
        except Exception:
            log.warning("diagnostics failed for %s:\n%s", uri, traceback.format_exc())
        finally:
            state.linting.discard(uri)

    def to_diagnostics(problems: list[Problem], document: Any, uri: str) -> list[Any]:
        _, lines = lines_of(uri)
        found = []
        for problem in problems:
            row = min(max(problem.line - 1, 0), len(lines) - 1)
            line = lines[row]
            start = len(line) - len(line.lstrip())
            severity = (
                t.DiagnosticSeverity.Error
                if problem.severity == "error"
                else t.DiagnosticSeverity.Warning
            )
            found.append(
                t.Diagnostic(
                    range=text_range(document, lines, row, start, len(line.rstrip()) or start),
                    message=problem.message,
                    severity=severity,
                    source="interlock lint",
                )
            )
        return found

    @server.feature(
        t.TEXT_DOCUMENT_COMPLETION,
        t.CompletionOptions(trigger_characters=[" "], resolve_provider=False),
    )
    def completion(ls: Any, params: t.CompletionParams) -> t.CompletionList:
        found = step_under(params.text_document.uri, params.position)
        if found is None:
            return t.CompletionList(is_incomplete=False, items=[])
        step, column, document, lines = found
        if column < step.start:
            return t.CompletionList(is_incomplete=False, items=[])
        line = lines[params.position.line]
        typed = line[step.start : column]
        gap = "" if line[: step.start].endswith((" ", "\t")) else " "  # "When|" gets a space
        where = text_range(document, lines, params.position.line, step.start, column)
        items = []
        choices = state.project.index.complete(typed, step.step_type)
        for rank, (phrase, text) in enumerate(choices):
            items.append(
                t.CompletionItem(
                    label=phrase.phrase,
                    kind=t.CompletionItemKind.Snippet,
                    detail=phrase.help.area,
                    documentation=t.MarkupContent(
                        t.MarkupKind.Markdown,
                        _summary(phrase.help),
                    ),
                    filter_text=phrase.phrase,
                    sort_text=f"{rank:04d}",
                    insert_text_format=t.InsertTextFormat.Snippet,
                    text_edit=t.TextEdit(range=where, new_text=gap + text),
                )
            )
        return t.CompletionList(is_incomplete=True, items=items)

    @server.feature(t.TEXT_DOCUMENT_HOVER)
    def hover(ls: Any, params: t.HoverParams) -> t.Hover | None:
        found = step_under(params.text_document.uri, params.position)
        if found is None or not found[0].text:
            return None
        step, _, document, lines = found
        text = state.project.index.hover(with_examples(step.text, lines, params.position.line))
        if text is None:
            return None
        row = params.position.line
        return t.Hover(
            contents=t.MarkupContent(t.MarkupKind.Markdown, text),
            range=text_range(document, lines, row, step.start, step.start + len(step.text)),
        )

    @server.feature(t.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: Any, params: t.DefinitionParams) -> t.Location | None:
        found = step_under(params.text_document.uri, params.position)
        if found is None or not found[0].text:
            return None
        text = with_examples(found[0].text, found[3], params.position.line)
        where = state.project.index.definition(text)
        if where is None or not where[0]:
            return None
        file, line = where
        start = t.Position(max(line - 1, 0), 0)
        return t.Location(uri=from_fs_path(file) or file, range=t.Range(start, start))

    @server.feature(t.SHUTDOWN)
    def shutdown(ls: Any, params: Any) -> None:
        state.shut_down = True
        state.executor.shutdown(wait=False, cancel_futures=True)

    return server


def _summary(info: StepHelp) -> str:
    return info.summary + (f"\n\nExample: `{info.example}`" if info.example else "")


@dataclass
class _State:
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="interlock-lint")
    )
    project: Project = field(default_factory=lambda: Project(Path.cwd(), StepIndex()))
    open: set[str] = field(default_factory=set)
    linting: set[str] = field(default_factory=set)
    stale: set[str] = field(default_factory=set)
    lines: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    tasks: set[Any] = field(default_factory=set)
    shut_down: bool = False


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("interlock")
    except PackageNotFoundError:
        return "0"


def serve(env: str | None = None, overrides: Sequence[str] = ()) -> int:
    """Run the server on stdin/stdout until the editor says exit (or closes the pipe)."""
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="interlock lsp: %(message)s"
    )
    sys.stdout.flush()
    protocol_out = os.fdopen(os.dup(1), "wb")  # only LSP messages go here
    protocol_in = os.fdopen(os.dup(0), "rb")
    os.dup2(2, 1)  # whatever else writes to stdout (a step module, C code) lands on stderr
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # and nothing else reads the editor's messages
    os.close(devnull)
    sys.stdout = sys.stderr
    state = _State()
    server = create_server(lambda start: Project.load(start, env, overrides), state)
    try:
        server.start_io(protocol_in, protocol_out)
    finally:
        with contextlib.suppress(OSError):
            protocol_out.close()
    return 0 if state.shut_down else 1  # LSP: exit without shutdown is 1
