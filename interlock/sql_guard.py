"""Which statements a reading step may send: one SELECT, WITH ... SELECT, SHOW,
DESCRIBE/DESC or EXPLAIN, and nothing that writes, locks, sets or runs anything.

The statement is read as MariaDB and MySQL read it: comments (``--``, ``#``,
``/* */``) and quoted text (``'...'``, ``"..."``, backtick names) are skipped, so a
keyword inside them counts for nothing. Executable comments (``/*! ... */``,
``/*M! ... */``) are refused, since the server runs what is inside them.

This is the first of three guards; the second is the connection itself (a database
not marked disposable is opened read-only, see :mod:`interlock.db`), the third,
the only one no session can lift, is a database user that may only SELECT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from interlock.errors import ScenarioInputError

READ_ONLY_KINDS = "SELECT, WITH ... SELECT, SHOW, DESCRIBE or EXPLAIN"
_WORD = re.compile(r"[0-9A-Za-z_$\u0080-\uffff]+")
_VARIABLE = re.compile(r"@@?[0-9A-Za-z_$.\u0080-\uffff]*")
# Reserved words that only a writing statement has; INSERT and REPLACE are functions
# too (INSERT(s, 1, 2, 'x')), and any word after a "." is a column name.
_WRITING = {
    "INSERT", "REPLACE", "UPDATE", "DELETE", "DROP", "CREATE", "ALTER", "RENAME",
    "GRANT", "REVOKE", "CALL", "LOAD",
}  # fmt: skip
_FUNCTIONS_TOO = {"INSERT", "REPLACE"}
_SELECTS = {"SELECT", "("}
_EXPLAIN_OPTIONS = {
    "ANALYZE", "EXTENDED", "PARTITIONS", "FORMAT", "=", "JSON", "TREE", "TRADITIONAL",
}  # fmt: skip
_WHY = {
    "SET": "it changes session or server settings",
    "CALL": "it runs a stored procedure, which may write",
    "LOCK": "it locks tables for other sessions",
    "UNLOCK": "it releases table locks",
    "DO": "it runs expressions for their effects",
    "HANDLER": "it opens tables outside SELECT",
    "USE": "it changes the session's database",
    "PREPARE": "it prepares a statement of any kind",
    "EXECUTE": "it runs a prepared statement of any kind",
}


@dataclass(frozen=True)
class Token:
    kind: str  # word (upper-cased), text (quoted text), name (backtick), variable, mark
    text: str


class RefusedStatement(Exception):
    """The statement is not one read-only statement; ``kind`` names what it is."""

    def __init__(self, kind: str, why: str) -> None:
        super().__init__(f"{kind}: {why}")
        self.kind = kind
        self.why = why


def tokens(sql: str) -> list[Token]:
    """The statement's tokens, comments dropped and quoted text reduced to one token.

    Raises :class:`RefusedStatement` for an executable comment, or a quote or comment
    that is never closed (the server would read the rest differently).
    """
    found: list[Token] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        two = sql[i : i + 2]
        if ch.isspace():
            i += 1
        elif two == "/*":
            if sql.startswith("/*!", i) or sql.startswith("/*M!", i):
                raise RefusedStatement(
                    "an executable comment",
                    "the server runs what is inside /*! ... */ and /*M! ... */",
                )
            end = sql.find("*/", i + 2)
            if end < 0:
                raise RefusedStatement("an unclosed comment", "a /* is never closed by */")
            i = end + 2
        elif ch == "#" or (two == "--" and (i + 2 >= n or sql[i + 2].isspace())):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif ch in "'\"`":
            end = _closing_quote(sql, i)
            found.append(Token("name" if ch == "`" else "text", sql[i : end + 1]))
            i = end + 1
        elif ch == "@":
            match = _VARIABLE.match(sql, i)
            assert match is not None  # the pattern matches "@" alone
            found.append(Token("variable", match.group(0)))
            i = match.end()
        else:
            word = _WORD.match(sql, i)
            if word:
                found.append(Token("word", word.group(0).upper()))
                i = word.end()
            else:
                found.append(Token("mark", ch))
                i += 1
    return found


def _closing_quote(sql: str, start: int) -> int:
    quote = sql[start]
    i = start + 1
    while i < len(sql):
        ch = sql[i]
        if ch == "\\" and quote != "`":
            i += 2
            continue
        if ch == quote:
            if sql[i + 1 : i + 2] == quote:
                i += 2
                continue
            return i
        i += 1
    raise RefusedStatement("an unclosed quote", f"a {quote} is never closed")


def classify(sql: str) -> str:
    """The kind of a read-only statement (``SELECT``, ``SHOW``...); raises
    :class:`RefusedStatement` for anything else."""
    statements: list[list[Token]] = [[]]
    for token in tokens(sql):
        if token.kind == "mark" and token.text == ";":
            statements.append([])
        else:
            statements[-1].append(token)
    statements = [s for s in statements if s]
    if not statements:
        raise RefusedStatement("an empty query", "the query is empty (or only comments)")
    if len(statements) > 1:
        raise RefusedStatement(f"{len(statements)} statements", "write one statement per step")
    return _classify(statements[0])


def _classify(ts: list[Token]) -> str:
    first = _word(ts, 0)
    if first in _SELECTS:
        _check_select(ts)
        return "SELECT"
    if first == "WITH":
        final = _word(ts, _after_common_table_expressions(ts))
        if final not in _SELECTS:
            kind = final or "nothing"
            raise RefusedStatement(
                f"WITH ... {kind}",
                f"a {kind} fed by a common table expression changes data",
            )
        _check_select(ts)
        return "WITH ... SELECT"
    if first == "SHOW":
        return "SHOW"
    if first in ("EXPLAIN", "DESCRIBE", "DESC"):
        i = 1
        while i < len(ts) and (ts[i].kind == "text" or _word(ts, i) in _EXPLAIN_OPTIONS):
            i += 1
        explained = _word(ts, i)  # EXPLAIN ANALYZE runs it: classify it as if alone
        if explained in _SELECTS or explained in _WRITING or explained == "WITH":
            try:
                return f"{first} {_classify(ts[i:])}"
            except RefusedStatement as inner:
                raise RefusedStatement(f"{first} {inner.kind}", inner.why) from None
        return first  # DESCRIBE a table, EXPLAIN FOR CONNECTION ...
    kind = first or "a statement that starts with quoted text"
    why = "it changes data or schema" if kind in _WRITING | {"TRUNCATE"} else "it is none of these"
    raise RefusedStatement(kind, _WHY.get(kind, why))


def _word(ts: list[Token], i: int) -> str:
    """The word (or mark) at ``i``, '' past the end or for quoted text."""
    if i >= len(ts) or ts[i].kind in ("text", "name", "variable"):
        return ""
    return ts[i].text


def _skip_parens(ts: list[Token], i: int) -> int:
    """The index after the parenthesis group opening at ``i``."""
    depth = 0
    while i < len(ts):
        mark = _word(ts, i)
        depth += (mark == "(") - (mark == ")")
        i += 1
        if depth == 0:
            break
    return i


def _after_common_table_expressions(ts: list[Token]) -> int:
    """The index of the statement that follows ``WITH [RECURSIVE] a AS (...), ...``."""
    i = 2 if _word(ts, 1) == "RECURSIVE" else 1
    while i < len(ts):
        i += 1  # the name
        if _word(ts, i) == "(":
            i = _skip_parens(ts, i)  # its column list
        if _word(ts, i) == "AS":
            i += 1
        if _word(ts, i) == "(":
            i = _skip_parens(ts, i)  # its query
        if _word(ts, i) != ",":
            return i
        i += 1
    return i


def _check_select(ts: list[Token]) -> None:
    """Refuse what a SELECT may carry that writes, locks or sets."""
    for i, token in enumerate(ts):
        if token.kind != "word" or (i > 0 and _word(ts, i - 1) == "."):
            continue
        word, following = token.text, _word(ts, i + 1)
        if word == "INTO":
            target = following if following in ("OUTFILE", "DUMPFILE") else "@variable"
            raise RefusedStatement(
                f"SELECT ... INTO {target}", "it writes a file or sets variables"
            )
        if word == "FOR" and following in ("UPDATE", "SHARE"):
            raise RefusedStatement(f"SELECT ... FOR {following}", "it locks the rows it reads")
        if word == "LOCK" and following == "IN":
            raise RefusedStatement("SELECT ... LOCK IN SHARE MODE", "it locks the rows it reads")
        if word in _WRITING and not (word in _FUNCTIONS_TOO and following == "("):
            raise RefusedStatement(word, "it changes data or schema")


def require_read_only(sql: str, database: str) -> str:
    """The statement's kind, or a :class:`ScenarioInputError` that names what it is and
    where writes belong."""
    try:
        return classify(sql)
    except RefusedStatement as refused:
        shown = " ".join(sql.split())
        shown = shown if len(shown) <= 200 else shown[:197] + "..."
        raise ScenarioInputError(
            f"refusing to run {refused.kind} on database {database!r}: the query step runs"
            f" exactly one read-only statement ({READ_ONLY_KINDS}): {refused.why}"
            f"\n  query: {shown}",
            hint="change data with a SQL script from the data folder: Given I run the SQL"
            ' script "NAME.sql" (on a database marked disposable)',
        ) from None
