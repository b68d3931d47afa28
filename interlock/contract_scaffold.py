"""``interlock contract scaffold SERVICE``: a feature file written from the service's
OpenAPI document, in interlock's own phrases, for a tester to edit and commit.

One scenario per operation and documented status that a request made from the document
alone can provoke; each ends "the response should conform to the API contract". How
each status is provoked (:func:`_recipes`):

- 2xx of an operation without path parameters: the request, with a body built from the
  schema's examples (else from its types and bounds) and each required query
  parameter;
- 201 of a ``POST /things`` whose body carries the key of ``/things/{key}`` (a key the
  client chooses, such as a SKU): that body, the key made unique with ``${unique}``;
  then 200 of ``GET /things/{key}`` after that POST, and 409 by sending it twice;
- 3xx of a ``GET`` with path parameters: any value (redirects are not followed);
- 400: a body of ``{}`` (when the body has required fields), or a required query
  parameter left out;
- 401: an operation that asks for security, sent without credentials;
- 404 of an operation with path parameters: a value nobody has (``nope-${unique}``, or
  the largest integer the parameter allows);
- 404 or 422 of a ``POST`` whose description names something unknown: a valid body
  whose values, all unique, refer to nothing.

Every other status (a 503, a conflict that needs data in a given state, a 2xx that
needs an existing row the service makes) gets a ``# TODO`` comment with the document's
description, not a scenario.

Rows a scenario makes the service create are registered for removal. Which table holds
them is read from the SQL schema of a database the service writes to
(``services.NAME.writes_to``, ``databases.NAME.schema``): the table named as the
collection (``/products`` -> ``products``) that has the key's column (``sku``). Where no
such table is found the scenario says so in a ``# TODO``.

Re-running against a changed document never touches the feature: when it exists and
differs, the fresh one is written beside it as ``<name>.feature.new`` (behave does not
read it) and the scenarios that are new, then a diff of the files, are printed.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from interlock.config import Config, load_config
from interlock.contract_coverage import METHODS
from interlock.errors import ExitCode, InterlockError, ScenarioInputError
from interlock.payloads import shown

HELP = "write a feature from a service's OpenAPI document (interlock contract scaffold NAME)"
_UNKNOWN = re.compile(r"unknown|knows no|no \w+ (?:has|with)", re.IGNORECASE)
_LARGEST = 2_147_483_647


def add_parser(parser: argparse.ArgumentParser) -> None:
    """``interlock contract scaffold SERVICE [--requirement ID]``."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    made = actions.add_parser("scaffold", help=HELP)
    made.add_argument("service", help="the service (services.NAME) whose document is used")
    made.add_argument(
        "--requirement", metavar="ID", help="the requirement tag every scenario gets (REQ-60)"
    )


def command(args: argparse.Namespace) -> int:
    config = load_config(env=args.env, overrides=args.set)
    path, text, new, diff = scaffold(config, args.service, args.requirement)
    if new is None:
        print(f"wrote {shown(path)}: edit it, then run it (interlock run {shown(path)})")
    elif not diff:
        print(f"{shown(path)} is what the contract gives already: nothing new")
    else:
        print(f"{shown(path)} exists and is never overwritten; the contract's version is in"
              f" {shown(new)}")  # fmt: skip
        fresh = _names(text) - _names(path.read_text(encoding="utf-8"))
        if fresh:
            print("new in the contract (or renamed by you):")
            print("".join(f"  + {name}\n" for name in sorted(fresh)), end="")
        print(diff, end="")
    return int(ExitCode.PASSED)


def scaffold(
    config: Config, service: str, requirement: str | None
) -> tuple[Path, str, Path | None, str]:
    """Write the feature of ``service`` (or, when one exists, ``.feature.new`` beside it);
    returns its path, the text, the ``.new`` file (None when the feature was written) and
    the diff from the feature to the text ("" when they are the same)."""
    settings = config.services.get(service)
    if settings is None:
        raise InterlockError(
            f"no service {service!r} in the config",
            hint=f"services: {', '.join(sorted(config.services)) or '(none)'}",
        )
    if settings.openapi is None:
        raise InterlockError(
            f"service {service!r} has no OpenAPI document",
            hint=f"set services.{service}.openapi to the file of its contract",
        )
    if requirement is None and config.report.require_requirement_tag:
        raise InterlockError(
            "this suite wants a requirement tag on every scenario (report.require_requirement_tag)",
            hint="name the one these scenarios test: --requirement REQ-60",
        )
    document = _read(settings.openapi)
    tables = _tables(config, settings.writes_to or ())
    text = render(service, shown(settings.openapi), document, tables, requirement)
    path = config.features_dir / "interface" / f"{service}_contract.feature"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path, text, None, ""
    old = path.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            text.splitlines(keepends=True),
            shown(path),
            f"{shown(path)}.new",
        )
    )
    new = path.with_name(path.name + ".new")
    if diff:
        new.write_text(text, encoding="utf-8")
    return path, text, new, diff


def _read(document: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(document.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioInputError(
            f"cannot read the OpenAPI document {shown(document)}: {exc}",
            hint="check services.NAME.openapi and the document",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("paths"), dict):
        raise ScenarioInputError(
            f"the OpenAPI document {shown(document)} has no paths (at /paths)",
            hint="an OpenAPI 3 document lists its operations under paths:",
        )
    return data


# -- the database: which table holds what a POST creates -------------------------------------

_CREATE = re.compile(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?`?(\w+)`?\s*\((.*?)\)\s*[^,]*?;",
                     re.IGNORECASE | re.DOTALL)  # fmt: skip
_COLUMN = re.compile(r"^\s*`?(\w+)`?\s+[A-Za-z]", re.MULTILINE)
_NOT_COLUMNS = {"primary", "key", "constraint", "unique", "index", "foreign", "check", "fulltext"}


@dataclass(frozen=True)
class Table:
    database: str
    name: str
    columns: frozenset[str]


def _tables(config: Config, databases: tuple[str, ...]) -> list[Table]:
    """The tables (and their columns) the schema files of ``databases`` create."""
    found = []
    for name in databases:
        settings = config.databases.get(name)
        for script in settings.schema if settings else ():
            try:
                sql = Path(script).read_text(encoding="utf-8")
            except OSError:
                continue
            for match in _CREATE.finditer(sql):
                columns = {
                    c.lower()
                    for c in _COLUMN.findall(match.group(2))
                    if c.lower() not in _NOT_COLUMNS
                }
                found.append(Table(name, match.group(1), frozenset(columns)))
    return found


# -- the document ----------------------------------------------------------------------------


@dataclass
class Operation:
    method: str
    path: str
    spec: dict[str, Any]
    parameters: list[dict[str, Any]]
    secured: bool

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def path_parameters(self) -> list[dict[str, Any]]:
        return [p for p in self.parameters if p.get("in") == "path"]

    def required_query(self) -> list[dict[str, Any]]:
        return [p for p in self.parameters if p.get("in") == "query" and p.get("required")]


@dataclass
class Scenario:
    name: str
    steps: list[str]
    cleanup_note: str = ""
    tables: list[tuple[str, str, str]] = field(default_factory=list)  # (table, column, value)


def _operations(document: dict[str, Any]) -> list[Operation]:
    found = []
    default_security = bool(document.get("security"))
    for path, item in document["paths"].items():
        if not isinstance(item, dict):
            continue
        shared = [_resolve(document, p) for p in item.get("parameters", [])]
        for method in METHODS:
            spec = item.get(method)
            if not isinstance(spec, dict):
                continue
            own = [_resolve(document, p) for p in spec.get("parameters", [])]
            names = {(p.get("name"), p.get("in")) for p in own}
            parameters = own + [p for p in shared if (p.get("name"), p.get("in")) not in names]
            secured = bool(spec["security"]) if "security" in spec else default_security
            found.append(Operation(method.upper(), str(path), spec, parameters, secured))
    return found


def _resolve(document: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """``node`` with its ``$ref`` (one inside the document) followed, recursively."""
    if depth > 20:
        return {}
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = document
        for part in node["$ref"].lstrip("#/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return _resolve(document, target, depth + 1)
    if isinstance(node, dict):
        return {k: _resolve(document, v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(document, v, depth + 1) for v in node]
    return node


def _body_schema(operation: Operation) -> dict[str, Any] | None:
    body = operation.spec.get("requestBody") or {}
    content = body.get("content") or {}
    media = content.get("application/json") or next(iter(content.values()), None)
    schema = (media or {}).get("schema")
    return schema if isinstance(schema, dict) else None


def _example(schema: dict[str, Any], name: str, unique: bool) -> Any:
    """A value the schema allows: its example, a value of its enum, else one made from its
    type and bounds; every text made unique with ``${unique}`` when ``unique`` (a value
    that must refer to nothing), a text without an example always."""
    if "example" in schema and not (unique and isinstance(schema["example"], str)):
        return schema["example"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged = {**merged, **part, "properties": {**merged.get("properties", {}),
                                                       **part.get("properties", {})}}  # fmt: skip
        return _example(merged, name, unique)
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = schema.get("required") or list(properties)
        return {key: _example(properties.get(key, {}), key, unique) for key in required}
    if kind == "array":
        return [_example(schema.get("items", {}), name, unique)]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return True
    if schema.get("format") == "email":
        return f"{name}-${{unique}}@example.com"
    return f"{name}-${{unique}}"


def _value(parameter: dict[str, Any], known: bool) -> str:
    """A path or query value: an existing-looking one, or (not ``known``) one nobody has."""
    schema = parameter.get("schema") or {}
    if schema.get("type") in ("integer", "number"):
        return (
            str(schema.get("maximum", _LARGEST)) if not known else str(_example(schema, "", False))
        )
    name = str(parameter.get("name", "value")).replace("_", "-")
    return f"{name}-${{unique}}" if known else "nope-${unique}"


def _url(
    operation: Operation, known: bool, query: bool = True, values: Mapping[str, str] | None = None
) -> str:
    values = values or {}
    path = operation.path
    for parameter in operation.path_parameters():
        name = str(parameter["name"])
        path = path.replace("{" + name + "}", values.get(name) or _value(parameter, known))
    if query and operation.required_query():
        pairs = [f"{p['name']}={_value(p, True)}" for p in operation.required_query()]
        path += "?" + "&".join(pairs)
    return path


def _send(method: str, url: str, body: Any = None) -> list[str]:
    if body is None:
        return [f'When I send a {method} request to "{url}"']
    text = json.dumps(body, ensure_ascii=False)
    return [f'When I send a {method} request to "{url}" with JSON:', '  """', f"  {text}", '  """']


def _then(status: str) -> list[str]:
    return [f"Then the response status should be {status}",
            "And the response should conform to the API contract"]  # fmt: skip


def _describe(operation: Operation, status: str) -> str:
    response = (operation.spec.get("responses") or {}).get(status) or {}
    words = " ".join(str(response.get("description", "")).split())
    first = re.split(r"(?<=[.;])\s", words, maxsplit=1)[0]  # its first sentence or clause
    return first.rstrip(".;")


def _recipes(
    operations: list[Operation], tables: list[Table]
) -> list[tuple[Operation, str, Scenario | None, str]]:
    """Each operation's documented statuses: a scenario that provokes it, or the reason
    none can (a ``# TODO``)."""
    by_path = {(op.method, op.path): op for op in operations}
    made: list[tuple[Operation, str, Scenario | None, str]] = []
    creates: dict[str, tuple[list[str], list[tuple[str, str, str]], str, str]] = {}
    for op in operations:
        schema = _body_schema(op)
        key = _client_key(op, by_path, schema)
        if key is not None and schema is not None:
            body = _example(schema, "", False)
            body[key] = f"{key}-${{unique}}"
            table = _table_for(op.path, key, tables)
            cleanup, note = [], ""
            if table is not None:
                cleanup = [(table.name, key, f"{key}-${{unique}}")]
                note = (f"# {op.label} creates a row of the table {table.name} (database"
                        f" {table.database}, which the service writes to): the one whose"
                        f" {key} is the body's")  # fmt: skip
            else:
                note = (f"# TODO: {op.label} creates a row; register its removal (no table"
                        f" {op.path.strip('/').split('/')[-1]} with a column {key} in the"
                        " schema of the databases the service writes_to)")  # fmt: skip
            creates[op.path] = (_send(op.method, op.path, body), cleanup, note, key)
    for op in operations:
        responses = [str(s) for s in (op.spec.get("responses") or {}) if str(s) != "default"]
        schema = _body_schema(op)
        for status in responses:
            scenario = _recipe(op, status, schema, creates)
            why = "" if scenario else _todo(op, status)
            made.append((op, status, scenario, why))
    return made


def _client_key(
    op: Operation, by_path: Mapping[tuple[str, str], Operation], schema: dict[str, Any] | None
) -> str | None:
    """The key a ``POST /things`` body carries for ``/things/{key}``, if any."""
    if op.method != "POST" or schema is None:
        return None
    properties = (_example(schema, "", False) if schema else {}) or {}
    for _, path in by_path:
        match = re.fullmatch(re.escape(op.path.rstrip("/")) + r"/\{(\w+)\}", path)
        if match and isinstance(properties, dict) and match.group(1) in properties:
            return match.group(1)
    return None


def _table_for(path: str, key: str, tables: list[Table]) -> Table | None:
    collection = path.strip("/").split("/")[-1].lower()
    for table in tables:
        if table.name.lower() == collection and key.lower() in table.columns:
            return table
    return None


def _recipe(
    op: Operation,
    status: str,
    schema: dict[str, Any] | None,
    creates: Mapping[str, tuple[list[str], list[tuple[str, str, str]], str, str]],
) -> Scenario | None:
    code = status.upper()
    name = f"{op.label} answers {status}"  # the Feature names the service
    words = _describe(op, status)
    title = f"{name}: {words}" if words else name
    created = creates.get(op.path)
    body = _example(schema, "", False) if schema else None
    if created and code in ("201", "409") and op.method == "POST":
        request, cleanup, note, _ = created
        steps = [*(_given(request) if code == "409" else []), *request]  # the 2nd one clashes
        return Scenario(title, [*steps, *_then(status)], note, list(cleanup))
    parent = op.path.rsplit("/", 1)[0]
    if code.startswith("2") and op.path_parameters():
        if op.method == "GET" and parent in creates and len(op.path_parameters()) == 1:
            request, cleanup, note, key = creates[parent]
            url = _url(
                op, True, values={str(op.path_parameters()[0]["name"]): f"{key}-${{unique}}"}
            )
            steps = [*_given(request), *_send("GET", url), *_then(status)]
            return Scenario(title, steps, note, list(cleanup))
        return None
    if code.startswith("2") and op.method in ("GET", "HEAD", "OPTIONS") and not schema:
        return Scenario(title, [*_send(op.method, _url(op, True)), *_then(status)])
    if code.startswith("3") and op.method == "GET":
        return Scenario(title, [*_send("GET", _url(op, True)), *_then(status)])
    if code == "400":
        if schema and (schema.get("required") or _required_of(schema)):
            return Scenario(title, [*_send(op.method, _url(op, True), {}), *_then(status)])
        if op.required_query():
            return Scenario(title, [*_send(op.method, _url(op, True, query=False)), *_then(status)])
        return None
    if code == "401" and op.secured:
        steps = ["Given the request has no credentials", *_send(op.method, _url(op, True), body)]
        return Scenario(title, [*steps, *_then(status)])
    if code == "404" and op.path_parameters():
        return Scenario(title, [*_send(op.method, _url(op, False), body), *_then(status)])
    if code in ("404", "422") and op.method == "POST" and schema and _UNKNOWN.search(words):
        nothing = _example(schema, "", True)  # every text unique: it refers to nothing
        return Scenario(title, [*_send(op.method, _url(op, True), nothing), *_then(status)])
    return None


def _given(request: list[str]) -> list[str]:
    """A request as a step that sets the scene (``Given I send ...``)."""
    return ["Given" + line[4:] if line.startswith("When ") else line for line in request]


def _required_of(schema: dict[str, Any]) -> bool:
    return any(part.get("required") for part in schema.get("allOf", []) if isinstance(part, dict))


def _todo(op: Operation, status: str) -> str:
    words = _describe(op, status)
    if status.startswith("5"):
        why = "the service's own failure; no request provokes it"
    elif status.startswith("2") and op.path_parameters():
        why = "needs a row the service made (create one first, or seed it)"
    elif status.startswith("2"):
        why = "needs data the contract does not give (a row the request refers to: seed it)"
    else:
        why = "needs data in a state the contract does not say how to reach"
    return f"# TODO {op.label} {status}{f' ({words})' if words else ''}: {why}"


def _names(text: str) -> set[str]:
    return {line.strip()[len("Scenario:"):].strip() for line in text.splitlines()
            if line.strip().startswith("Scenario:")}  # fmt: skip


def render(
    service: str,
    where: str,
    document: dict[str, Any],
    tables: list[Table],
    requirement: str | None,
) -> str:
    """The feature's text."""
    operations = _operations(document)
    resolved = [
        Operation(op.method, op.path, _resolve(document, op.spec), op.parameters, op.secured)
        for op in operations
    ]
    lines = [
        f"# Written by `interlock contract scaffold {service}` from {where}: a starting point",
        "# to edit and commit. Running the command again never overwrites this file.",
        f"@interface @contract{' @' + requirement.lstrip('@') if requirement else ''}",
        f"Feature: The {service} API answers as its contract documents",
        f"  Each scenario provokes one documented response of {where}",
        "  and checks that the answer is the one documented.",
        "",
        "  Background:",
        f'    Given the "{service}" service',
    ]
    seen: set[str] = set()
    for _, _, scenario, why in _recipes(resolved, tables):
        lines.append("")
        if scenario is None:
            lines.append(f"  {why}")
            continue
        name = f"{service}: {scenario.name}"  # unique in the suite, as lint wants
        while name in seen:
            name += " (again)"
        seen.add(name)
        lines.append(f"  Scenario: {name}")
        if scenario.cleanup_note:
            lines.append(f"    {scenario.cleanup_note}")
        for table, column, value in scenario.tables:
            lines.append(f'    Given rows of the table "{table}" where "{column}" is "{value}"'
                         " are removed after the scenario")  # fmt: skip
        for step in scenario.steps:
            if scenario.tables and step.startswith("Given "):
                step = "And " + step[len("Given ") :]
            lines.append(f"    {step}")
    return "\n".join(lines) + "\n"
