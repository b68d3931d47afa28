"""The public step API: everything a step module needs from interlock, under names that stay.

Step modules (``interlock_steps/``, a project's ``steps/``) import from here and from
nowhere else in ``interlock`` (``tests/unit/test_step_api.py`` enforces it); the modules
behind it are internal and may move or change. Like ``pytest`` in front of ``_pytest``::

    from behave import step

    from interlock.api import db_checks, register, table_rows, writes_data

    register()  # the parameter types: {x:Quoted} {n:Int} {n:IntOrVariable} {m:Method} {v:Json}

What is here:

- step-marking decorators that ``interlock lint`` (and the run) read:
  :func:`saves_variable`, :func:`writes_data`, :func:`needs_serial`, :func:`reads` (the
  interfaces a check reads, for the step catalog); a step that reads a doc string or a table
  says so with :func:`takes_doc_string` / :func:`json_doc_string` or :func:`takes_table` /
  :func:`table_headers` (any other step refuses one);
- the parameter types, interlock's and a project's own (with their allowed values):
  :func:`register`;
- the step's own inputs (doc string, table, data files): :func:`doc_json`,
  :func:`table_rows`, :func:`name_value_rows`, :func:`data_file`, :func:`step_location`...;
- assertions, grouped by what they check: :class:`http_checks`, :class:`db_checks`,
  :class:`standin_checks`, :class:`contract_checks` (contract coverage, probing); web
  pages in a real browser: :class:`pages`; test data that is removed after the scenario:
  :class:`seeding`; JSON files: :func:`json_file`,
  :func:`shown`;
- what a step may raise: :class:`ScenarioInputError` (a mistake in the scenario);
  a failed check is a plain ``AssertionError``; :data:`MISSING` (no value given).

The context. interlock's hooks set these attributes on behave's ``context`` and steps
use them directly (steps add none of their own):

- ``context.http``: the scenario's HTTP client: ``select(service)``,
  ``add_headers(pairs)``, ``add_query(pairs)``, ``use_credentials(name, profiles)``,
  ``drop_credentials()``, ``follow(redirects)``, ``redirect(service, url)``,
  ``send(method, path, json_body=..., form=...)`` (returns the exchange:
  ``.response``, ``.json()``);
- ``context.db``: the scenario's databases: ``select(name)`` and ``current()`` (a
  database: ``query(sql)``, ``read(sql, params)``, ``count(table, where)``);
- ``context.variables``: the scenario variables: ``substitute(text)`` (fills in
  ``${name}``), ``set(name, value)``, ``get(name)``, ``whole_number(text, what)``,
  ``split_for_sql(sql)``;
- ``context.browser``: the scenario's web page in a real browser (opened by its first
  web page step, in a fresh browser context); steps drive it through :class:`pages`;
- ``context.cleanup``: what runs after the scenario, newest first, whatever its
  outcome: ``add(description, action)`` (or :func:`register_cleanup`);
- ``context.interlock.config`` (:func:`run_config`): the run's frozen config, e.g.
  ``.http.poll_interval``, ``.http.poll_timeout``, ``.credentials``, ``.services``;
  ``context.interlock.standins`` (:func:`standins`): the stand-ins of this worker.

Why namespaces are classes here: the checks and seeding helpers keep the names step
bodies already use (``db_checks.contains_rows(...)``), yet each is a short, deliberate
list written in this file, with its own docstrings and signatures; re-exporting the
internal modules themselves would make every name in them public. The classes are only
namespaces (their functions are static); nothing instantiates them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from interlock import contract_checks as _contract_checks
from interlock import db_checks as _db_checks
from interlock import http_checks as _http_checks
from interlock import seeding as _seeding
from interlock import standin_checks as _standin_checks
from interlock import step_types as _step_types
from interlock.errors import InterlockError, ScenarioInputError
from interlock.gherkin import (
    data_file,
    doc_json,
    name_value_rows,
    step_location,
    table_rows,
    table_sources,
)
from interlock.gherkin import doc_string as _doc_string
from interlock.gherkin import json_argument as _json_argument
from interlock.lint import (
    json_doc_string,
    needs_serial,
    reads,
    saves_variable,
    table_headers,
    takes_doc_string,
    takes_table,
    writes_data,
)
from interlock.matching import MISSING as _MISSING
from interlock.payloads import json_file, shown
from interlock.workers import SHARD_KEY as _SHARD_KEY

if TYPE_CHECKING:
    from interlock.browser import Screen
    from interlock.cleanup import CleanupRegistry
    from interlock.config import Config
    from interlock.db import Database
    from interlock.exchange import Exchange
    from interlock.http import HttpClient, ServiceTarget
    from interlock.standins import StandIns, Traffic
    from interlock.variables import Variables

__all__ = [  # grouped by kind in the sections below; a new name goes in both
    "MISSING",
    "InterlockError",
    "ScenarioInputError",
    "contract_checks",
    "data_file",
    "data_folder",
    "db_checks",
    "doc_json",
    "doc_string",
    "http_checks",
    "json_argument",
    "json_doc_string",
    "json_file",
    "name_value_rows",
    "needs_serial",
    "pages",
    "reads",
    "register",
    "register_cleanup",
    "run_config",
    "saves_variable",
    "seeding",
    "shown",
    "standin_checks",
    "standins",
    "step_location",
    "table_headers",
    "table_rows",
    "table_sources",
    "takes_doc_string",
    "takes_table",
    "writes_data",
]

# -- step-marking decorators -------------------------------------------------------------------
# saves_variable, writes_data, needs_serial, reads, takes_doc_string, takes_table,
# json_doc_string (which implies takes_doc_string) and table_headers (which implies
# takes_table) are imported above from interlock.lint as they are (each carries its
# docstring). A new step-marking decorator in interlock.lint is re-exported beside them and
# added to __all__ (a test checks every one is).


# -- parameter types ---------------------------------------------------------------------------


def register(
    name: str | None = None,
    converter: Callable[[str], Any] | None = None,
    *,
    pattern: str | None = None,
    values: Iterable[str] | Callable[[], Iterable[str]] | None = None,
    noun: str | None = None,
    kind: str | None = None,
) -> None:
    """Without arguments: register interlock's parameter types with behave (once; call it
    at the top of a step module): ``{x:Quoted}`` a quoted text's content, ``{n:Int}`` a
    whole number, ``{n:IntOrVariable}`` a whole number or one ``${variable}`` (convert it
    with ``context.variables.whole_number``), ``{m:Method}`` an HTTP method, ``{v:Json}`` a
    JSON value or a quoted match marker.

    With a ``name``: declare a project's own type, used as ``{param:Name}``. ``converter``
    turns the matched text into the step's value and raises ``ValueError`` or
    ``LookupError`` for a text it refuses; ``pattern`` is the text's regular expression;
    ``values`` (or a function returning them) are the allowed values, which lint checks
    before a run (with did-you-mean) and the step catalog lists; ``noun`` names one value
    in messages ("product"), ``kind`` describes the parameter in the catalog::

        register("Product", _product, pattern=r"[a-z][a-z ]*?",
                 values=lambda: sorted(CATALOGUE), noun="product",
                 kind="a product of the shop")
    """
    _step_types.register(
        name, converter, pattern=pattern, values=values, noun=noun, kind=kind, _depth=2
    )


# -- the context -------------------------------------------------------------------------------


def run_config(context: Any) -> Config:
    """The run's frozen config (``context.interlock.config``): ``.http.poll_interval``,
    ``.http.poll_timeout``, ``.credentials``, ``.services[name].health``..."""
    config: Config = context.interlock.config
    return config


def data_folder(context: Any) -> Path:
    """The data folder (config ``paths.data``), where steps find JSON and SQL files; to read
    one that a step names, use :func:`data_file`, which keeps it inside this folder."""
    folder: Path = context.interlock.config.data_dir
    return folder


def standins(context: Any) -> StandIns:
    """This worker's stand-ins (``context.interlock.standins``): ``replace(service)``,
    ``answer(...)``, ``require(service)``..."""
    found: StandIns = context.interlock.standins
    return found


def register_cleanup(context: Any, description: str, action: Callable[[], object]) -> None:
    """Run ``action`` after the scenario, whatever its outcome (newest first); register it
    right after making what it undoes. ``description`` names it when it fails, and a failed
    cleanup fails the run with exit 3."""
    context.cleanup.add(description, action)


# -- the step's own inputs ---------------------------------------------------------------------
# data_file, doc_json, name_value_rows, step_location, table_rows and table_sources are
# interlock.gherkin's, imported above as they are.


def doc_string(context: Any, what: str) -> str:
    """The step's doc string as text; a named error when the step has none (``what`` says
    what it should hold: "the request body")."""
    return _doc_string(context, what)


def json_argument(text: str, variables: Variables, what: str) -> Any:
    """A JSON value written in the step's line (a ``{v:Json}`` parameter), ``${name}``
    filled in; bad JSON is a named error (``what`` names the value)."""
    return _json_argument(text, variables, what)


# -- checks ------------------------------------------------------------------------------------


class http_checks:  # a namespace, lower case like the module names step bodies call
    """Assertions on the scenario's last HTTP exchange (``context.http``), and the polling
    request. A failure lists every mismatch, then the exchange: request, status, cut body
    and a curl line that repeats it, secrets masked."""

    @staticmethod
    def status_is(client: HttpClient, expected: int) -> None:
        """The last response has the status ``expected``."""
        _http_checks.status_is(client, expected)

    @staticmethod
    def header_is(client: HttpClient, name: str, expected: str) -> None:
        """The header equals ``expected`` (a marker is allowed); for Content-Type only the
        media types are compared."""
        _http_checks.header_is(client, name, expected)

    @staticmethod
    def header_contains(client: HttpClient, name: str, part: str) -> None:
        """The header contains the text ``part``."""
        _http_checks.header_contains(client, name, part)

    @staticmethod
    def header_value(client: HttpClient, name: str) -> str:
        """The header's value; a failure when the response has no such header."""
        return _http_checks.header_value(client, name)

    @staticmethod
    def field_value(client: HttpClient, path: str) -> Any:
        """A field of the JSON response, found by a path such as ``items[0].sku``; a path
        that finds nothing fails, naming the keys where it stopped."""
        return _http_checks.field_value(client, path)

    @staticmethod
    def field_is(client: HttpClient, path: str, expected: Any) -> None:
        """The field found by ``path`` matches ``expected`` (markers allowed)."""
        _http_checks.field_is(client, path, expected)

    @staticmethod
    def body_matches(client: HttpClient, expected: Any) -> None:
        """The whole JSON body matches ``expected``: unexpected keys fail, arrays compare in
        order, markers allowed."""
        _http_checks.body_matches(client, expected)

    @staticmethod
    def body_contains(client: HttpClient, expected: Any) -> None:
        """The JSON body contains ``expected``: extra keys are fine at any depth, array items
        are found in any order."""
        _http_checks.body_contains(client, expected)

    @staticmethod
    def each_item_matches(client: HttpClient, path: str, expected: Any) -> None:
        """Every item of the array field found by ``path`` matches ``expected``."""
        _http_checks.each_item_matches(client, path, expected)

    @staticmethod
    def matches_schema(client: HttpClient, schema: Any, source: str) -> None:
        """The JSON body is valid against the JSON Schema ``schema`` (``source`` names its
        file in the failure)."""
        _http_checks.matches_schema(client, schema, source)

    @staticmethod
    def conforms_to_contract(client: HttpClient) -> None:
        """The response (status, headers, body) is what the service's OpenAPI document
        promises for this operation and status; the request itself is not checked."""
        _http_checks.conforms_to_contract(client)

    @staticmethod
    def responded_within(client: HttpClient, limit_ms: int) -> None:
        """The last response came within ``limit_ms`` milliseconds."""
        _http_checks.responded_within(client, limit_ms)

    @staticmethod
    def send_until(
        client: HttpClient,
        method: str,
        path: str,
        field: str,
        expected: Any,
        timeout: float,
        interval: float,
    ) -> Exchange:
        """Send the request every ``interval`` seconds until the response field ``field``
        matches ``expected``, for at most ``timeout`` seconds; returns the last exchange
        (the only one attached as evidence)."""
        return _http_checks.send_until(client, method, path, field, expected, timeout, interval)

    @staticmethod
    def reachable(client: HttpClient, target: ServiceTarget, health: str) -> None:
        """The service ``target`` (from ``context.http.select``) answers its health path
        with a 2xx status."""
        _http_checks.reachable(client, target, health)


class db_checks:  # a namespace, lower case like the module names step bodies call
    """Assertions on database tables (``db`` is ``context.db.current()``). Rows are dicts of
    column -> cell text, compared by the column's type (9.90 equals 9.9, true equals 1; an
    empty cell is NULL; markers such as ``#notnull`` work). A failure shows the closest
    rows found."""

    @staticmethod
    def contains_rows(db: Database, table: str, expected: Sequence[dict[str, str]]) -> None:
        """Every expected row is in the table."""
        _db_checks.contains_rows(db, table, expected)

    @staticmethod
    def eventually_contains_rows(
        db: Database,
        table: str,
        expected: Sequence[dict[str, str]],
        timeout: float,
        interval: float,
    ) -> None:
        """Like :meth:`contains_rows`, read again every ``interval`` seconds until the rows
        are there or ``timeout`` seconds pass: for work the system does in the background."""
        _db_checks.eventually_contains_rows(db, table, expected, timeout, interval)

    @staticmethod
    def lacks_rows(db: Database, table: str, forbidden: Sequence[dict[str, str]]) -> None:
        """None of the ``forbidden`` rows is in the table."""
        _db_checks.lacks_rows(db, table, forbidden)

    @staticmethod
    def row_count_is(
        db: Database, table: str, expected: int, column: str | None = None, value: str | None = None
    ) -> None:
        """The table has ``expected`` rows (those whose ``column`` is ``value``, when given;
        an empty value means NULL)."""
        _db_checks.row_count_is(db, table, expected, column, value)

    @staticmethod
    def query_returns(
        db: Database, sql: str, params: Sequence[object], expected: Sequence[dict[str, str]]
    ) -> None:
        """The query's rows equal the expected rows, in order. One read-only statement only
        (``params`` bound to its ``%s``: see ``context.variables.split_for_sql``)."""
        _db_checks.query_returns(db, sql, params, expected)

    @staticmethod
    def has_columns(db: Database, table: str, expected: Sequence[dict[str, str]]) -> None:
        """Each row (``column``, optional ``type`` and ``nullable``) names a column the table
        has, with that type and nullability; extra columns are fine."""
        _db_checks.has_columns(db, table, expected)

    @staticmethod
    def column_value(db: Database, table: str, column: str, where: dict[str, str]) -> object:
        """The value of ``column`` in the one row matching ``where``; none or several rows
        fail."""
        return _db_checks.column_value(db, table, column, where)


class contract_checks:  # a namespace, lower case like the module names step bodies call
    """A service's OpenAPI document as a whole: every documented response seen in this run
    (contract coverage, read from every worker), every operation kept for generated
    requests (probing). Both take behave's ``context``: they use the run's config, the
    scenario's HTTP client, databases and cleanups."""

    @staticmethod
    def all_responses_seen(
        context: Any, service: str, excused: Sequence[tuple[str, str]] = ()
    ) -> None:
        """Every (operation, status) the document of ``service`` documents was answered to
        interlock's HTTP client in this run so far, but the ``excused`` pairs (``*`` for
        any operation or status); a failure lists those never seen and the contract gaps
        (statuses answered that the document does not describe)."""
        target = context.http.select(service)
        shard = context.config.userdata.get(_SHARD_KEY)  # under --shard: see the message
        _contract_checks.all_responses_seen(context.interlock.config, target, excused, shard)

    @staticmethod
    def keeps_contract(
        context: Any, service: str, operation: str | None = None, examples: int | None = None
    ) -> None:
        """Requests generated from the document of ``service`` (every operation, or the one
        ``METHOD /path``; config ``probing.examples`` of each kind, or ``examples``) are all
        answered as documented: no 5xx, no undocumented status, bodies and headers as the
        schema says, invalid requests refused. A failure shows, per operation, the smallest
        failing request as a curl line, the answer and the rules broken; the seed is
        printed. Rows the service wrote in its ``writes_to`` databases are deleted after
        the scenario."""
        suite = context.interlock
        target = context.http.select(service)

        def record(exchange: Exchange) -> None:
            suite.coverage.note(
                target.name, target.openapi, exchange.method, exchange.url, exchange.status
            )

        _contract_checks.keeps_contract(
            suite.config,
            context.http,
            context.db,
            context.cleanup,
            target,
            record,
            (operation,) if operation else (),
            examples,
        )


class standin_checks:  # a namespace, lower case like the module names step bodies call
    """Assertions on what a stand-in received in this scenario."""

    @staticmethod
    def check_received(
        name: str,
        traffic: Traffic,
        method: str,
        path: str,
        count: int,
        expected: Any = _MISSING,
    ) -> None:
        """The stand-in ``name`` received ``count`` requests ``method path`` in ``traffic``
        (``standins(context).require(name).traffic()``), whose JSON body matches
        ``expected`` when given (markers allowed, unexpected keys fail). A failure lists
        everything it received."""
        _standin_checks.check_received(name, traffic, method, path, count, expected)


class pages:  # a namespace, lower case like the module names step bodies call
    """Web pages in a real browser (``screen`` is ``context.browser``). Things are found by
    what a person reads: a field by its label, a button or link by its text, a table by
    its caption. Each call waits up to ``browser.timeout`` for what it needs (never a
    fixed sleep) and attaches a screenshot to the step (``browser.screenshots``); a
    failure names what was looked for, the closest things the page has instead, and
    attaches the page's HTML, console and failed requests, secrets masked."""

    @staticmethod
    def open(screen: Screen, service: str, path: str) -> None:
        """Open ``path`` of the configured service ``service``; a page that does not load
        within the limit fails, naming the URL."""
        screen.open(service, path)

    @staticmethod
    def fill(screen: Screen, label: str, value: str) -> None:
        """Type ``value`` into the one field labelled ``label``. A value that is a secret
        is painted over in every screenshot."""
        screen.fill(label, value)

    @staticmethod
    def choose(screen: Screen, option: str, label: str) -> None:
        """Choose the option reading ``option`` in the list labelled ``label``."""
        screen.choose(option, label)

    @staticmethod
    def click(screen: Screen, text: str) -> None:
        """Click the one button or link reading ``text``; several fail, listed."""
        screen.click(text)

    @staticmethod
    def sees(screen: Screen, text: str, seconds: float | None = None) -> None:
        """``text`` is shown (anywhere, any number of times) within ``seconds``
        (default ``browser.timeout``)."""
        screen.sees(text, seconds)

    @staticmethod
    def does_not_see(screen: Screen, text: str) -> None:
        """Once the page has settled (no request pending, no change for
        ``browser.settle`` seconds), ``text`` is not shown; fails as soon as it is."""
        screen.does_not_see(text)

    @staticmethod
    def table_shows(screen: Screen, caption: str, rows: Sequence[Mapping[str, str]]) -> None:
        """The table named ``caption`` (its caption, or its first column's header) shows
        every row; a row names some of the table's columns by their headers."""
        screen.table_shows(caption, rows)

    @staticmethod
    def text_of(screen: Screen, label: str) -> str:
        """The text shown next to ``label``: a field's value, what is labelled by it, or
        the element right after it (``<dt>``/``<dd>``, ``<th>``/``<td>``)."""
        return screen.text_of(label)

    @staticmethod
    def screenshot(screen: Screen, name: str) -> None:
        """Attach a screenshot of the page named ``name`` (secret fields painted over)."""
        screen.named_screenshot(name)

    @staticmethod
    def hint_for_table_step(screen: Screen, table: str, error: BaseException) -> BaseException:
        """For a database table step that failed while the scenario shows a web page: the
        same failure, with a hint naming the page's phrase (``should show:``)."""
        if not screen.used:
            return error
        hint = (
            f"this scenario shows a web page: to check a table on the page, write"
            f' Then the table "{table}" should show:'
        )
        if isinstance(error, InterlockError):
            error.hint = f"{error.hint}; {hint}" if error.hint else hint
            return error
        return AssertionError(f"{error}\n  -> {hint}")


class seeding:  # a namespace, lower case like the module names step bodies call
    """Test data a scenario writes, each piece removed after the scenario whatever its
    outcome (``cleanup`` is ``context.cleanup``). Refused on a database not marked
    disposable in config; every write is journalled first, so a crashed run's rows are
    swept by the next one."""

    @staticmethod
    def seed_rows(
        db: Database,
        table: str,
        rows: Sequence[Mapping[str, str]],
        sources: Sequence[str],
        cleanup: CleanupRegistry,
    ) -> list[dict[str, Any]]:
        """Insert ``rows`` and register each one's removal; ``sources`` names each row's
        ``file:line`` for errors (:func:`table_sources`). Returns each row's identity."""
        return _seeding.seed_rows(db, table, rows, sources, cleanup)

    @staticmethod
    def remove_after_scenario(
        db: Database, table: str, where: Mapping[str, str], cleanup: CleanupRegistry
    ) -> None:
        """Register the removal of the rows matching ``where`` that the system under test
        will create (or has created)."""
        _seeding.remove_after_scenario(db, table, where, cleanup)

    @staticmethod
    def run_data_script(
        db: Database,
        path: Path,
        display_name: str,
        variables: Variables,
        cleanup: CleanupRegistry,
        data_dir: Path | None = None,
    ) -> int:
        """Run a SQL script (``${name}`` as bound parameters), statement by statement; a
        ``<name>.cleanup.sql`` beside it is registered to run after the scenario. Both stay
        inside ``data_dir`` (:func:`data_folder`)."""
        return _seeding.run_data_script(db, path, display_name, variables, cleanup, data_dir)


# -- errors and values -------------------------------------------------------------------------
# InterlockError and ScenarioInputError are interlock.errors', imported above.

MISSING: Final = _MISSING
"""No value given: the default of an optional argument such as ``expected`` of
:meth:`standin_checks.check_received` (``None`` is a JSON value: ``null``)."""
