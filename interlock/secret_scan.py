"""The check after every run: no secret may appear anywhere under ``reports/``.

Masking happens before anything is written; this scan proves it, looking for each
secret in the forms it takes on its way into files: raw, Base64 and base64url at
every byte alignment (a Basic authorization header is ``base64(user:password)``, so
the password sits at any offset), URL-encoded, JSON/XML/HTML-escaped (the
single-file HTML report embeds its data as Base64 of JSON), hex of its UTF-8 bytes;
each of them also in upper- or lower-case and broken over two lines (a line break,
raw or JSON-escaped, and indentation, inside it).
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from interlock.masking import base64_fragments

MIN_LENGTH = 4  # shorter secrets or fragments would match ordinary text


@dataclass(frozen=True)
class Finding:
    path: Path
    form: str
    secret_hint: str  # the secret's first characters only

    def __str__(self) -> str:
        return f"{self.path}: a secret ({self.secret_hint}...) in {self.form} form"


def forms(secret: str) -> dict[str, str]:
    """Each distinct written form of ``secret`` (by a name for the message)."""
    found = {"raw": secret}
    # Base64 of the raw text (headers) and of its JSON-escaped text (embedded JSON).
    for base, text in (("", secret), (" of JSON", json.dumps(secret)[1:-1])):
        for urlsafe, kind in ((False, "Base64"), (True, "base64url")):
            for i, fragment in enumerate(base64_fragments(text.encode(), urlsafe)):
                found[f"{kind}{base} (alignment {i})"] = fragment
    found["URL-encoded"] = urllib.parse.quote(secret, safe="")
    found["URL-encoded (+ for space)"] = urllib.parse.quote_plus(secret, safe="")
    found["JSON-escaped"] = json.dumps(secret)[1:-1]
    found["JSON-escaped (ASCII)"] = json.dumps(secret, ensure_ascii=True)[1:-1]
    found["HTML-escaped"] = html.escape(secret, quote=True)
    found["XML-escaped"] = html.escape(secret, quote=False)
    found["hex"] = secret.encode().hex()
    found["upper-case"] = secret.upper()
    found["lower-case"] = secret.lower()
    distinct: dict[str, str] = {}
    for name, text in found.items():
        if text not in distinct.values():
            distinct[name] = text
    return distinct


# A line break (raw or JSON-escaped) and the indentation after it, as the masker folds it.
_BREAK = re.compile(rb"(?:\r\n|\r|\n|\\r\\n|\\n|\\r)[ \t]*")
_ASCII_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")


def _fold(data: bytes) -> bytes:
    """ASCII lower-case, line breaks and the indentation after them taken out."""
    return _BREAK.sub(b"", data.translate(_ASCII_LOWER))


def scan(folder: Path, secrets: Iterable[str]) -> list[Finding]:
    """Every file under ``folder`` holding any form of any secret (one finding per file
    and secret)."""
    patterns = [
        (secret, name, text.encode(), _fold(text.encode()))
        for secret in sorted({s for s in secrets if len(s) >= MIN_LENGTH})
        for name, text in forms(secret).items()
    ]
    findings: list[Finding] = []
    if not patterns or not folder.is_dir():
        return findings
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        folded = _fold(data)
        reported: set[str] = set()
        for secret, name, pattern, folded_pattern in patterns:
            if secret in reported or folded_pattern not in folded:
                continue
            reported.add(secret)
            shape = name if pattern in data else f"{name} (other letter case, or split over lines)"
            findings.append(Finding(path, shape, secret[:2]))
    return findings
