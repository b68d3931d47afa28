"""Replacing secrets with a mask before anything is written: messages, logs, evidence."""

from __future__ import annotations

import json
from collections.abc import Iterable

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


def _forms(secret: str) -> set[str]:
    """A secret as written raw and as written inside a JSON string (results, evidence)."""
    return {secret, json.dumps(secret)[1:-1]}


class Masker:
    """Masks every known secret value, raw or JSON-escaped (longest first, so
    overlapping ones mask whole)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms = {f for s in secrets if len(s) >= MIN_SECRET_LENGTH for f in _forms(s)}
        self._secrets = sorted(forms, key=len, reverse=True)

    def add(self, secret: str) -> None:
        if len(secret) >= MIN_SECRET_LENGTH:
            self._secrets = sorted({*self._secrets, *_forms(secret)}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def header(self, name: str, value: str) -> str:
        """A header's value as it may be shown: credentials headers are always masked."""
        if name.lower() in SENSITIVE_HEADERS:
            scheme, _, rest = value.partition(" ")
            return f"{scheme} {MASK}" if rest else MASK
        return self.mask(value)
