"""Replacing secrets with a mask before anything is written: messages, logs, evidence.

A secret is masked in every shape it is commonly echoed in: as written, JSON-escaped,
URL-encoded, upper- or lower-case, as hex of its UTF-8 bytes, as Base64 (at any byte
alignment: a Basic header is ``base64(user:password)``), and broken over two lines (a
line break, raw or JSON-escaped, and the indentation after it, anywhere inside it).

Secrets learned while a run goes on (a token a login fetched) are shared through a
:class:`SecretStore` (:mod:`interlock.learned_secrets` keeps one in a private file):
every masker of the run that is given the store masks them, in the process that
learned them at once, and in the run's other processes (the parent's summary, JUnit,
sign-off and leak scan).

This module also decides which config keys look secret (:func:`secret_key`,
:func:`hides_value`) and finds passwords in URLs (:func:`url_secrets`).
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import difflib
import json
import re
import string
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

MASK = "*****"
# Credentials headers are masked by name, whatever their value (configured API keys are
# masked by value as well, whatever header carries them).
SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-access-token",
    }
)
MIN_SECRET_LENGTH = 3  # shorter values would mask ordinary text everywhere
MIN_ENCODED_LENGTH = 4  # hex and Base64 of shorter ones would match random text
MIN_BASE64_FRAGMENT = 6

# A line break (raw, or escaped as in JSON) and the indentation after it: text that
# wraps a secret over two lines puts one inside it.
_BREAK = re.compile(r"(?:\r\n|\r|\n|\\r\\n|\\n|\\r)[ \t]*")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _fold(text: str) -> str:
    """Text as the masker compares it: ASCII lower-case (the same length), line breaks
    and their indentation taken out."""
    return _BREAK.sub("", text.translate(_ASCII_LOWER))


def base64_fragments(secret: bytes, urlsafe: bool = False) -> list[str]:
    """The Base64 characters fully determined by ``secret``, at each of 3 alignments."""
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    fragments = []
    for offset in range(3):
        encoded = encode(b"\0" * offset + secret).decode().rstrip("=")
        start = -(-offset * 8 // 6)  # the first character with no prefix bits
        end = (offset + len(secret)) * 8 // 6  # the last character with no padding bits
        fragment = encoded[start:end]
        if len(fragment) >= MIN_BASE64_FRAGMENT:
            fragments.append(fragment)
    return fragments


def written_forms(secret: str) -> set[str]:
    """``secret`` as text may carry it: raw, JSON-escaped, URL-encoded, upper- and
    lower-case, hex of its UTF-8 bytes, Base64 (``_fold`` then removes case and breaks)."""
    forms: set[str] = set()
    for variant in (secret, secret.upper(), secret.lower()):
        forms |= {
            variant,
            json.dumps(variant, ensure_ascii=False)[1:-1],
            json.dumps(variant)[1:-1],
            urllib.parse.quote(variant, safe=""),
            urllib.parse.quote_plus(variant, safe=""),
        }
    if len(secret) >= MIN_ENCODED_LENGTH:
        data = secret.encode()
        forms.add(data.hex())
        for text in (data, json.dumps(secret)[1:-1].encode()):
            forms.update(base64_fragments(text) + base64_fragments(text, urlsafe=True))
    return forms


class SecretStore(Protocol):
    """Where a run keeps the secrets it learns (see :mod:`interlock.learned_secrets`)."""

    def record(self, secret: str) -> None: ...

    def secrets(self) -> tuple[str, ...]: ...


class Masker:
    """Masks every known secret in every written form (see the module's docstring);
    overlapping ones are masked whole. With a ``learned`` store it also masks what any
    process of the run has learned, and records what it is told to :meth:`add`."""

    def __init__(
        self,
        secrets: Iterable[str] = (),
        learned: SecretStore | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> None:
        self._secrets: set[str] = set()
        self._forms: list[str] = []
        self._learned = learned
        self._learned_count = 0
        # A secret read from ${VAR}: its variable's name, so that a curl line can say
        # $VAR where the secret was (see :meth:`replayable`).
        self.variables: Mapping[str, str] = variables or {}
        # A token fetched at run time: the variable a curl line names it by, and the
        # command that fetches it again (see :meth:`name_token`).
        self._tokens: dict[str, tuple[str, str]] = {}
        self._grow(secrets)

    @property
    def secrets(self) -> frozenset[str]:
        """Every secret this masker knows: given, added and learned by the run."""
        self._sync()
        return frozenset(self._secrets)

    def add(self, secret: str) -> None:
        if len(secret) < MIN_SECRET_LENGTH:
            return
        if self._learned is not None:
            self._learned.record(secret)
        self._grow([secret])

    def name_token(self, token: str, variable: str, command: str) -> None:
        """Show ``token`` in a curl line as ``$variable``, set by ``variable=$(command)``
        (the command unmasked: it is masked where it is shown)."""
        self.add(token)
        self._tokens[token] = (variable, command)

    def token_command(self, name: str, value: str) -> str | None:
        """``ROBOT_TOKEN=$(curl …)`` for a credentials header carrying a named token."""
        named = self._tokens.get(value.partition(" ")[2] or value)
        if named is None or name.lower() not in SENSITIVE_HEADERS:
            return None
        return f"{named[0]}=$({named[1]})"

    def mask(self, text: str) -> str:
        self._sync()
        if not self._forms or not text:
            return text
        folded, pieces = _folded_with_map(text)
        spans: list[tuple[int, int]] = []
        for form in self._forms:
            at = folded.find(form)
            while at >= 0:
                spans.append((at, at + len(form)))
                at = folded.find(form, at + 1)
        if not spans:
            return text
        parts: list[str] = []
        done = 0
        for start, end in _merged(spans):
            first, last = _original(pieces, start), _original(pieces, end - 1) + 1
            parts += [text[done:first], MASK]
            done = last
        parts.append(text[done:])
        return "".join(parts)

    def exception(self, error: BaseException) -> None:
        """Mask ``error``'s message in place (its args, an interlock error's message and
        hint), and those of the exceptions it was raised from or during, so that however
        behave shows it (message, traceback, JUnit, results) no secret is."""
        seen: set[int] = set()
        current: BaseException | None = error
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            with contextlib.suppress(AttributeError, TypeError):
                current.args = tuple(
                    self.mask(a) if isinstance(a, str) else a for a in current.args
                )
            for name in ("message", "hint"):
                value = getattr(current, name, None)
                if isinstance(value, str):
                    with contextlib.suppress(AttributeError, TypeError):
                        setattr(current, name, self.mask(value))
            current = current.__cause__ or current.__context__

    def header(self, name: str, value: str) -> str:
        """A header's value as it may be shown: credentials headers are always masked."""
        if name.lower() in SENSITIVE_HEADERS:
            scheme, _, rest = value.partition(" ")
            return f"{scheme} {MASK}" if rest else MASK
        return self.mask(value)

    def replayable(self, name: str, value: str) -> tuple[str, str] | None:
        """A credentials header as a curl option that can be replayed without showing the
        secret: ``("-u", 'ana:$ANA_PASSWORD')`` or ``("-H", 'Authorization: Bearer
        $TOKEN')`` (text for double quotes), when the secret came from a ``${VAR}``;
        else None (the header is masked). A token fetched at run time is shown by the
        variable :meth:`name_token` gave it."""
        scheme, _, rest = value.partition(" ")
        if name.lower() in SENSITIVE_HEADERS and rest in self._tokens:
            return "-H", f"{_in_double_quotes(f'{name}: {scheme} ')}${self._tokens[rest][0]}"
        if value in self.variables:  # a header of its own, e.g. X-Api-Key: ${PARTNER_KEY}
            return "-H", f"{_in_double_quotes(f'{name}: ')}${self.variables[value]}"
        if name.lower() not in SENSITIVE_HEADERS or not self.variables:
            return None
        if scheme.lower() == "basic" and rest:
            try:
                user, sep, password = base64.b64decode(rest, validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return None
            if sep and password in self.variables:
                return "-u", f"{_in_double_quotes(user)}:${self.variables[password]}"
            return None
        if rest and rest in self.variables:
            return "-H", f"{_in_double_quotes(f'{name}: {scheme} ')}${self.variables[rest]}"
        return None

    def _sync(self) -> None:
        if self._learned is None:
            return
        learned = self._learned.secrets()
        if len(learned) != self._learned_count:
            self._learned_count = len(learned)
            self._grow(learned)

    def _grow(self, secrets: Iterable[str]) -> None:
        new = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH} - self._secrets
        if not new:
            return
        self._secrets |= new
        forms = {_fold(f) for s in self._secrets for f in written_forms(s)}
        self._forms = sorted((f for f in forms if len(f) >= MIN_SECRET_LENGTH), key=len)[::-1]


def _in_double_quotes(text: str) -> str:
    """``text`` as it is written between double quotes in a shell."""
    return "".join("\\" + c if c in '"\\$`' else c for c in text)


def _folded_with_map(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The folded text, and for each kept piece its (folded start, original start)."""
    lowered = text.translate(_ASCII_LOWER)
    pieces: list[tuple[int, int]] = []
    kept: list[str] = []
    folded_at = original_at = 0
    for match in _BREAK.finditer(lowered):
        pieces.append((folded_at, original_at))
        kept.append(lowered[original_at : match.start()])
        folded_at += match.start() - original_at
        original_at = match.end()
    pieces.append((folded_at, original_at))
    kept.append(lowered[original_at:])
    return "".join(kept), pieces


def _original(pieces: list[tuple[int, int]], position: int) -> int:
    """The index in the original text of the character at ``position`` in the folded one."""
    index = bisect.bisect_right(pieces, (position, 1 << 62)) - 1
    folded_start, original_start = pieces[index]
    return original_start + position - folded_start


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# -- which config keys and values are secret ----------------------------------------------

# The last part of a key whose value is a secret: it joins the masker when given with
# --set (config.py collects the config files' own secrets).
_SECRET_NAME = re.compile(r"pass|pwd|secret|token|bearer|api_?key|private_?key|(^|[_-])key$", re.I)
_NOT_SECRET_NAMES = frozenset({"token_field", "token_url"})
# Any part of a key that looks like one of these (or a typo of one: "pasword") hides
# the value wherever an error would show it.
_SECRET_WORDS = ("password", "passwd", "passphrase", "secret", "token", "bearer", "apikey")
_HIDING_NAME = re.compile(r"pass|pwd|secret|token|bearer|key|credential|auth|cookie|private", re.I)


def secret_key(dotted: str) -> bool:
    """Whether the value of config key ``dotted`` is a secret (its last part looks so)."""
    last = dotted.rsplit(".", 1)[-1]
    return last not in _NOT_SECRET_NAMES and bool(_SECRET_NAME.search(last))


def hides_value(dotted: str) -> bool:
    """Whether an error about config key ``dotted`` must not show its value: any part of
    the key looks secret, or like a mistyped secret name."""
    for part in dotted.split("."):
        if _HIDING_NAME.search(part):
            return True
        words = re.split(r"[^a-z]+", part.lower())
        if any(difflib.get_close_matches(w, _SECRET_WORDS, n=1, cutoff=0.75) for w in words if w):
            return True
    return False


def shown_override(item: str) -> str:
    """``--set key=value`` as an error may quote it: the value masked for a secret key."""
    key, sep, _ = item.partition("=")
    if sep and hides_value(key.strip()):
        return repr(f"{key}={MASK}")
    return repr(item)


_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?#@\s]*):([^/?#@\s]*)@")


def url_secrets(tree: Any) -> list[str]:
    """The password of every ``scheme://user:password@host`` URL in ``tree`` (text, or
    mappings and lists of it), as written and URL-decoded."""
    found: list[str] = []
    if isinstance(tree, dict):
        for value in tree.values():
            found += url_secrets(value)
    elif isinstance(tree, list | tuple):
        for value in tree:
            found += url_secrets(value)
    elif isinstance(tree, str):
        for match in _USERINFO.finditer(tree):
            password = match.group(2)
            found += [v for v in {password, urllib.parse.unquote(password)} if v]
    return found


def without_password(url: str) -> str:
    """``url`` with the password of its userinfo shown as the mask."""
    return _USERINFO.sub(lambda m: m.group(0).replace(f":{m.group(2)}@", f":{MASK}@"), url)
