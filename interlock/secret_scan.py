"""The check after every run: no secret may appear anywhere under ``reports/``.

Masking happens before anything is written; this scan proves it, looking for each
secret in the forms it takes on its way into files: raw, Base64 and base64url at
every byte alignment (a Basic authorization header is ``base64(user:password)``, so
the password sits at any offset), URL-encoded, and JSON/XML/HTML-escaped (the
single-file HTML report embeds its data as Base64 of JSON).
"""

from __future__ import annotations

import base64
import html
import json
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MIN_LENGTH = 4  # shorter secrets or fragments would match ordinary text
MIN_FRAGMENT = 6


@dataclass(frozen=True)
class Finding:
    path: Path
    form: str
    secret_hint: str  # the secret's first characters only

    def __str__(self) -> str:
        return f"{self.path}: a secret ({self.secret_hint}...) in {self.form} form"


def _b64_fragments(secret: bytes, urlsafe: bool) -> list[str]:
    """The Base64 characters fully determined by the secret, at each of 3 alignments."""
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    fragments = []
    for offset in range(3):
        encoded = encode(b"\0" * offset + secret).decode().rstrip("=")
        start = -(-offset * 8 // 6)  # the first character with no prefix bits
        end = (offset + len(secret)) * 8 // 6  # the last character with no padding bits
        fragment = encoded[start:end]
        if len(fragment) >= MIN_FRAGMENT:
            fragments.append(fragment)
    return fragments


def forms(secret: str) -> dict[str, str]:
    """Each distinct written form of ``secret`` (by a name for the message)."""
    found = {"raw": secret}
    # Base64 of the raw text (headers) and of its JSON-escaped text (embedded JSON).
    for base, text in (("", secret), (" of JSON", json.dumps(secret)[1:-1])):
        for urlsafe, kind in ((False, "Base64"), (True, "base64url")):
            for i, fragment in enumerate(_b64_fragments(text.encode(), urlsafe)):
                found[f"{kind}{base} (alignment {i})"] = fragment
    found["URL-encoded"] = urllib.parse.quote(secret, safe="")
    found["URL-encoded (+ for space)"] = urllib.parse.quote_plus(secret, safe="")
    found["JSON-escaped"] = json.dumps(secret)[1:-1]
    found["JSON-escaped (ASCII)"] = json.dumps(secret, ensure_ascii=True)[1:-1]
    found["HTML-escaped"] = html.escape(secret, quote=True)
    found["XML-escaped"] = html.escape(secret, quote=False)
    distinct: dict[str, str] = {}
    for name, text in found.items():
        if text not in distinct.values():
            distinct[name] = text
    return distinct


def scan(folder: Path, secrets: Iterable[str]) -> list[Finding]:
    """Every file under ``folder`` holding any form of any secret (one finding per file
    and secret)."""
    patterns = [
        (secret, name, text.encode())
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
        reported: set[str] = set()
        for secret, name, pattern in patterns:
            if secret not in reported and pattern in data:
                reported.add(secret)
                findings.append(Finding(path, name, secret[:2]))
    return findings
