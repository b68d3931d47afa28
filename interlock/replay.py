"""Shell commands that fetch a run-time token again (a login call, an OAuth2
client-credentials grant), so that a failure's curl line that says
``-H "Authorization: Bearer $ROBOT_TOKEN"`` can be replayed by hand:
``ROBOT_TOKEN=$(curl -s -X POST http://…/login … | python3 -c '…["token"]')``.

A value the call sends that came from ``${VAR}`` is written ``$VAR`` (the masker's
``variables``); any other secret is left as it is here and masked where the command is
shown (:meth:`interlock.masking.Masker.mask`), so that no secret is ever printed. The
token is taken from the JSON answer by ``python3`` (present wherever interlock runs; jq
often is not).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from interlock.config import LoginSpec, OAuth2Spec

# One step of a plain JMESPath: a name (bare or quoted) and any [n] after it.
_STEP = re.compile(r'(?:([A-Za-z_][A-Za-z0-9_]*)|"((?:[^"\\]|\\.)*)")((?:\[-?\d+\])*)')
_INDEX = re.compile(r"\[(-?\d+)\]")


def token_variable(profile: str, taken: Iterable[str] = ()) -> str:
    """The shell variable a fetched token of ``profile`` is shown as: ``robot`` ->
    ``ROBOT_TOKEN``; ``..._LOGIN_TOKEN`` if a credential's ``${VAR}`` already has the name."""
    stem = re.sub(r"[^A-Z0-9_]", "_", profile.upper())
    stem = f"_{stem}" if stem[:1].isdigit() else stem
    name = f"{stem}_TOKEN"
    return f"{stem}_FETCHED_TOKEN" if name in set(taken) else name


def login_command(spec: LoginSpec, url: str, variables: Mapping[str, str]) -> str:
    """The login call as a shell command that prints the token (``token_field``)."""
    parts = ["curl", "-s", "-X", spec.method, shlex.quote(url)]
    if spec.json:
        parts += ["-H", "'Content-Type: application/json'"]
        parts += ["--data-raw", _json_word(spec.json, variables)]
    return f"{' '.join(parts)} | {_extract(spec.token_field)}"


def oauth2_command(spec: OAuth2Spec, variables: Mapping[str, str]) -> str:
    """The client-credentials grant as a shell command that prints the access token."""
    client_id, secret = _value(spec.client_id, variables), _value(spec.client_secret, variables)
    parts = ["curl", "-s", "-X", "POST", shlex.quote(spec.token_url)]
    if spec.client_auth == "basic":
        parts += ["-u", _quoted([*client_id, ":", *secret])]
    parts += ["-H", "'Accept: application/json'"]
    parts += ["--data-urlencode", "grant_type=client_credentials"]
    if spec.scope:
        parts += ["--data-urlencode", _quoted(["scope=", spec.scope])]
    if spec.client_auth == "body":
        parts += ["--data-urlencode", _quoted(["client_id=", *client_id])]
        parts += ["--data-urlencode", _quoted(["client_secret=", *secret])]
    return f"{' '.join(parts)} | {_extract('access_token')}"


class _Var(str):
    """A piece of a shell word that is a variable's name, not text."""


def _value(value: str, variables: Mapping[str, str]) -> list[str]:
    return [_Var(variables[value])] if value in variables else [value]


def _quoted(pieces: list[str]) -> str:
    """Text and variables as one double-quoted shell word: ``"$CLIENT_ID:$SECRET"``."""
    out = []
    for at, piece in enumerate(pieces):
        if isinstance(piece, _Var):
            after = pieces[at + 1][:1] if at + 1 < len(pieces) else ""
            joins = bool(after) and not isinstance(pieces[at + 1], _Var)
            glued = joins and (after.isalnum() or after == "_")
            out.append(f"${{{piece}}}" if glued else f"${piece}")
        else:
            out.append("".join("\\" + c if c in '"\\$`' else c for c in piece))
    return '"' + "".join(out) + '"'


def _json_word(body: Any, variables: Mapping[str, str]) -> str:
    """``body`` as JSON in one shell word: single-quoted text, each value from ``${VAR}``
    spliced in as ``"$VAR"`` (``'{"password": "'"$PW"'"}'``). A variable's value is put
    in as it is, so one holding ``"`` or ``\\`` would need JSON escaping by hand."""
    marks: dict[str, str] = {}

    def marked(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: marked(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [marked(v) for v in value]
        if isinstance(value, str) and value in variables:
            mark = f"\0{len(marks)}\0"
            marks[mark] = variables[value]
            return mark
        return value

    text = json.dumps(marked(body), ensure_ascii=False)
    word = []
    for piece in re.split(r"(\\u0000\d+\\u0000)", text):
        name = marks.get(piece.replace("\\u0000", "\0"))
        if name is not None:
            word.append(f'"${name}"')
        elif piece:
            word.append("'" + piece.replace("'", "'\"'\"'") + "'")
    return "".join(word)


def _extract(field: str) -> str:
    """A ``python3`` filter that prints the value at JMESPath ``field`` of JSON on stdin:
    plain subscripts for a plain path (``data.token``), else the jmespath package."""
    subscripts = _subscripts(field)
    if subscripts is not None:
        program = f"import json,sys; print(json.load(sys.stdin){subscripts})"
    else:
        program = (
            "import json,sys,jmespath;"
            f" print(jmespath.search({json.dumps(field)}, json.load(sys.stdin)))"
        )
    return "python3 -c '" + program.replace("'", "'\"'\"'") + "'"


def _subscripts(field: str) -> str | None:
    """``data.items[0].token`` as ``["data"]["items"][0]["token"]``; None if not that plain."""
    out = []
    for step in field.split("."):
        match = _STEP.fullmatch(step)
        if match is None:
            return None
        name = match.group(1) if match.group(1) is not None else json.loads(f'"{match.group(2)}"')
        out.append(f"[{json.dumps(name)}]")
        out += [f"[{index}]" for index in _INDEX.findall(match.group(3))]
    return "".join(out)
