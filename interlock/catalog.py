"""The living step catalog: every step phrase, from the step definitions themselves.

``interlock steps`` writes ``docs/steps.md`` (committed; a test fails when it is out
of date), ``docs/steps.html`` (one page with a search box) and a VS Code snippets
file. For each step: its phrases (aliases included), parameters (with the allowed
values a project's parameter type declares), the interfaces a check reads (``@reads``),
the first paragraph of its docstring, a real example from the features, and how often
the features use it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from behave.parser import ParserError, parse_file

from interlock.lint import READS, StepLibrary
from interlock.step_types import DECLARED

AREAS = {  # step module -> heading, in catalog order; others follow by module name
    "variables_steps": "Variables",
    "http_steps": "HTTP",
    "db_steps": "Database",
    "standin_steps": "Stand-ins",
    "contract_steps": "Contracts",
    "browser_steps": "Web pages",
    "shop_steps": "Shop (domain steps)",
}
KINDS = {  # parameter types as an analyst reads them
    "Quoted": "text",
    "Int": "whole number",
    "IntOrVariable": "whole number or ${variable}",
    "Json": "JSON value or marker",
    "Method": "HTTP method",
    "": "text",
}  # a project's own types describe themselves (interlock.step_types.register)
_FIELD = re.compile(r"\{([^}:]*)(?::([^}]*))?\}")
INTRO = """\
Every step works under Given, When, Then, And and But. `<name>` marks a parameter:
in quotes it is a text (it never contains `"`); `Int` is a whole number, `Json` a
JSON value (`"text"`, `3`, `true`, `null`, `[1,2]`, `{"a":1}`) or a quoted match marker.
A colon after a step that takes a doc string or a table is optional.

`${name}` anywhere in a step, doc string or table cell is replaced by the scenario
variable `name`; built in: `${unique}` (one token per scenario), `${uuid}`, `${now}`,
`${today}`. In SQL, `${name}` becomes a bound parameter. `\\${` is a literal `${`.

Match markers (in expected JSON, fields and table cells): `#string #number #integer
#boolean #array #object #null #notnull #present #ignore #uuid #date #datetime #email
#regex <pattern>`; `##marker` also accepts absent or null; `\\#text` is the text `#text`.

A parameter that lists its values ("one of: ...") takes only those: `interlock lint`
names any other, with the closest one. "Reads:" says which interface a check looks at:
the API (what a client of the service sees), the database (what is stored), a page.
"""


@dataclass
class Entry:
    function: str
    area: str
    phrases: list[str]
    explanation: str
    parameters: list[tuple[str, str]]
    examples: list[str] = field(default_factory=list)
    values: dict[str, list[str]] = field(default_factory=dict)  # parameter -> allowed values
    reads: tuple[str, ...] = ()  # the interfaces a check reads: "API", "database"...

    @property
    def uses(self) -> int:
        return len(self.examples)


def collect(library: StepLibrary, features: Iterable[Path], root: Path) -> list[Entry]:
    """One entry per step function, with examples and use counts from ``features``."""
    entries: dict[Any, Entry] = {}
    for matcher in library.matchers:
        func = matcher.func
        entry = entries.get(func)
        if entry is None:
            module = func.__module__.rsplit(".", 1)[-1]
            if module in ("<run_path>", "__main__"):
                module = Path(func.__code__.co_filename).stem
            entry = Entry(
                function=func.__name__,
                area=AREAS.get(module, module.removesuffix("_steps").replace("_", " ").title()),
                phrases=[],
                explanation=_explanation(func.__doc__),
                parameters=[],
                reads=tuple(getattr(func, READS, ())),
            )
            entries[func] = entry
        phrase = StepLibrary.shape(matcher.pattern)
        # The phrase with its colon (the form the features use) leads; the rest are aliases.
        entry.phrases.insert(0 if phrase.endswith(":") else len(entry.phrases), phrase)
        for name, kind in _FIELD.findall(matcher.pattern):
            declared = DECLARED.get(kind)
            readable = readable_kind(kind)
            if (name, readable) not in entry.parameters:
                entry.parameters.append((name, readable))
            if declared is not None and declared.values():
                entry.values[name] = declared.values()
    by_matcher = {id(m): entries[m.func] for m in library.matchers}
    for path in features:
        for step_text, where in _steps_of(path, root):
            found = library.matches(step_text)
            if found:
                by_matcher[id(found[0])].examples.append(f"{step_text}  ({where})")
    order = list(AREAS.values())
    return sorted(
        entries.values(),
        key=lambda e: (order.index(e.area) if e.area in order else len(order), e.area),
    )


def readable_kind(kind: str) -> str:
    """A parameter type as an analyst reads it: ``Int`` is "whole number"; a project's own
    type says it itself ("a product of the shop")."""
    declared = DECLARED.get(kind)
    return declared.kind if declared else KINDS.get(kind, kind)


def _explanation(doc: str | None) -> str:
    if not doc:
        return ""
    return " ".join(doc.strip().split("\n\n")[0].split())


def _steps_of(path: Path, root: Path) -> list[tuple[str, str]]:
    try:
        feature = parse_file(str(path))
    except (ParserError, UnicodeDecodeError, OSError):  # lint names such a file
        return []
    if feature is None:
        return []
    relative = str(path.relative_to(root))
    found = []
    seen_background = False
    for scenario in feature.walk_scenarios(with_outlines=True):
        if getattr(scenario, "_row", None) is not None:
            continue
        steps = list(scenario.steps)
        if scenario.background and not seen_background:
            steps = list(scenario.background.steps) + steps
            seen_background = True
        found += [(step.name, f"{relative}:{step.line}") for step in steps]
    return found


def markdown(entries: list[Entry]) -> str:
    lines = [
        "# Step catalog",
        "",
        "<!-- generated by `interlock steps` from the step definitions: do not edit -->",
        "",
        INTRO,
    ]
    area = None
    for entry in entries:
        if entry.area != area:
            area = entry.area
            lines += [f"## {area}", ""]
        lines.append(f"### `{entry.phrases[0]}`")
        lines += [f"also: `{alias}`" for alias in entry.phrases[1:]]
        if entry.explanation:
            lines += ["", entry.explanation]
        if entry.parameters:
            shown = ", ".join(_parameter(entry, name, kind) for name, kind in entry.parameters)
            lines += ["", f"Parameters: {shown}."]
        if entry.reads:
            lines += ["", f"Reads: {_reads(entry.reads)}."]
        if entry.examples:
            lines += ["", f"Used {entry.uses} time(s). Example: `{entry.examples[0]}`"]
        else:
            lines += ["", "Not used by any feature yet."]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _parameter(entry: Entry, name: str, kind: str) -> str:
    values = entry.values.get(name)
    if not values:
        return f"`{name}` ({kind})"
    return f"`{name}` ({kind}, one of: {', '.join(f'`{v}`' for v in values)})"


def _reads(interfaces: tuple[str, ...]) -> str:
    """``("API", "database")`` reads "the API and the database"."""
    named = [f"the {i}" for i in interfaces]
    return " and ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)


def _described(entry: Entry) -> str:
    """The explanation, with the allowed values and what a check reads (for the page)."""
    parts = [entry.explanation]
    parts += [f"{name}: one of {', '.join(values)}." for name, values in entry.values.items()]
    if entry.reads:
        parts.append(f"Reads {_reads(entry.reads)}.")
    return " ".join(p for p in parts if p)


def page(entries: list[Entry]) -> str:
    """A single searchable HTML page of the catalog."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(x.area)}</td><td><code>{'<br>'.join(e(p) for p in x.phrases)}</code></td>"
        f"<td>{e(_described(x))}</td><td>{x.uses}</td>"
        f"<td><code>{e(x.examples[0]) if x.examples else ''}</code></td></tr>"
        for x in entries
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>interlock step catalog</title><style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem }} input {{ font-size: 1rem;
 width: 30rem; padding: .3rem }} table {{ border-collapse: collapse; margin-top: 1rem }}
td, th {{ border: 1px solid #ddd; padding: .3rem .5rem; vertical-align: top; text-align: left }}
th {{ background: #f4f4f4 }} code {{ white-space: pre-wrap }}</style></head><body>
<h1>Step catalog</h1>
<input id="q" placeholder="Search steps, e.g. response field" autofocus>
<table><thead><tr><th>Area</th><th>Phrase</th><th>What it does</th><th>Uses</th>
<th>Example</th></tr></thead><tbody id="rows">{rows}</tbody></table>
<script>
document.getElementById("q").addEventListener("input", (event) => {{
  const words = event.target.value.toLowerCase().split(/\\s+/).filter(Boolean);
  for (const row of document.getElementById("rows").rows) {{
    const text = row.textContent.toLowerCase();
    row.hidden = !words.every((w) => text.includes(w));
  }}
}});
</script></body></html>
"""


def snippets(entries: list[Entry]) -> str:
    """VS Code snippets (``.code-snippets``): one per phrase, parameters as tab stops."""
    found: dict[str, dict[str, Any]] = {}
    for entry in entries:
        for phrase in entry.phrases:
            count = 0

            def stop(match: re.Match[str], values: dict[str, list[str]] = entry.values) -> str:
                nonlocal count
                count += 1
                choices = values.get(match.group(1))
                if choices and all(re.fullmatch(r"[^,|$}\\]+", c) for c in choices):
                    return f"${{{count}|{','.join(choices)}|}}"  # VS Code offers each
                return f"${{{count}:{match.group(1)}}}"

            body = re.sub(r"<([^>]*)>", stop, phrase)
            found[f"{entry.area}: {phrase}"] = {
                "scope": "feature,gherkin,cucumber",
                "prefix": phrase.split(" <")[0].split(' "')[0][:40],
                "body": body,
                "description": entry.explanation or phrase,
            }
    return json.dumps(found, indent=2, sort_keys=True) + "\n"
