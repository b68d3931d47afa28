"""SQL scripts: split into statements (with the line each starts on) and run one by one.

The splitter understands quotes (``'`` ``"`` and backticks, with backslash and doubled
quote escapes) and comments (``--``, ``#``, ``/* */``), so a ``;`` inside them does
not end a statement. ``DELIMITER`` blocks are not supported: keep scripts to
plain statements (valid on MariaDB and MySQL alike).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymysql

from interlock.errors import ScenarioInputError, SqlScriptError, describe_error, excerpt
from interlock.variables import Variables


@dataclass(frozen=True)
class Statement:
    text: str
    line: int  # 1-based line of the statement's first character


def split_statements(sql: str) -> list[Statement]:
    """Split a script into statements; empty ones (and comment-only ones) are dropped."""
    statements: list[Statement] = []
    buf: list[str] = []
    start_line: int | None = None
    line = 1
    i = 0
    n = len(sql)
    quote: str | None = None
    while i < n:
        ch = sql[i]
        nxt = sql[i + 1] if i + 1 < n else ""
        if quote:
            buf.append(ch)
            if ch == "\\" and quote != "`" and nxt:
                buf.append(nxt)
                line += nxt == "\n"
                i += 2
                continue
            if ch == quote:
                if nxt == quote:
                    buf.append(nxt)
                    i += 2
                    continue
                quote = None
            line += ch == "\n"
            i += 1
            continue
        if (ch == "-" and nxt == "-" and (i + 2 >= n or sql[i + 2] in " \t\r\n")) or ch == "#":
            end = sql.find("\n", i)
            i = n if end < 0 else end
            continue
        if ch == "/" and nxt == "*":
            end = sql.find("*/", i + 2)
            end = n if end < 0 else end + 2
            line += sql.count("\n", i, end)
            i = end
            continue
        if ch == ";":
            _flush(buf, start_line, statements)
            buf, start_line = [], None
            i += 1
            continue
        if ch in "'\"`":
            quote = ch
        if start_line is None and not ch.isspace():
            start_line = line
        buf.append(ch)
        line += ch == "\n"
        i += 1
    _flush(buf, start_line, statements)
    return statements


def _flush(buf: list[str], start_line: int | None, into: list[Statement]) -> None:
    text = "".join(buf).strip()
    if text and start_line is not None:
        into.append(Statement(text, start_line))


def run_script(
    path: Path,
    execute: Callable[[str, Sequence[Any] | None], object],
    display_name: str | None = None,
    variables: Variables | None = None,
) -> int:
    """Run every statement of ``path`` in order through ``execute``; returns how many ran.

    With ``variables``, each ``${name}`` becomes a bound parameter of its statement.
    A failing statement raises :class:`SqlScriptError` naming the file, the line and
    the statement, with the server's message.
    """
    name = display_name or str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SqlScriptError(
            f"SQL script {name} not found", hint="check the path (and the config key naming it)"
        ) from None
    except OSError as exc:
        raise SqlScriptError(
            f"SQL script {name} cannot be read: {exc.strerror or exc}",
            hint="it must be a file readable by this user",
        ) from None
    try:
        sql = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SqlScriptError(
            f"SQL script {name}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x})",
            hint="save the script as UTF-8",
        ) from None
    statements = split_statements(sql)
    for statement in statements:
        where = f"{name}:{statement.line}"
        try:
            text, params = (
                variables.split_for_sql(statement.text) if variables else (statement.text, None)
            )
            execute(text, params)
        except ScenarioInputError as exc:
            raise ScenarioInputError(f"{where}: {exc.message}", exc.hint) from None
        except pymysql.MySQLError as exc:
            raise SqlScriptError(
                f"{where}: statement failed: {excerpt(describe_error(exc))}\n"
                f"    {excerpt(statement.text)}",
                hint=f"fix the statement at {where}",
            ) from None
    return len(statements)
