"""The secret scan catches a planted secret in every form it can be written in."""

from __future__ import annotations

import base64
import html
import json
import urllib.parse
from pathlib import Path

import pytest

from interlock.secret_scan import scan

SECRET = 'p@ss w0rd/"+&<tok>'


@pytest.mark.parametrize(
    ("form", "text"),
    [
        ("raw", f"token={SECRET};"),
        (
            "basic header",
            "Authorization: Basic " + base64.b64encode(f"ana:{SECRET}".encode()).decode(),
        ),
        ("basic, other user", base64.b64encode(f"bo:{SECRET}".encode()).decode()),
        ("basic, third alignment", base64.b64encode(f"eve1:{SECRET}".encode()).decode()),
        ("base64url", base64.urlsafe_b64encode(f"x{SECRET}".encode()).decode()),
        ("base64 of JSON", base64.b64encode(json.dumps({"h": SECRET}).encode()).decode()),
        ("url-encoded", "q=" + urllib.parse.quote(SECRET, safe="")),
        ("url-encoded plus", "q=" + urllib.parse.quote_plus(SECRET)),
        ("json-escaped", json.dumps({"a": SECRET})),
        ("json ascii", json.dumps({"a": SECRET + "é"}, ensure_ascii=True)),
        ("html-escaped", "<td>" + html.escape(SECRET) + "</td>"),
        ("xml-escaped", "<v>" + html.escape(SECRET, quote=False) + "</v>"),
    ],
)
def test_a_planted_secret_is_found(tmp_path: Path, form: str, text: str) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "evidence.txt").write_text(f"header\n{text}\nfooter\n")
    findings = scan(tmp_path, [SECRET])
    assert [f.path.name for f in findings] == ["evidence.txt"], form


def test_clean_files_and_masked_values_pass(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"Authorization": "Bearer *****"}))
    assert scan(tmp_path, [SECRET, "xy"]) == []


def test_a_finding_shows_only_the_start_of_the_secret(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(SECRET)
    (finding,) = scan(tmp_path, [SECRET])
    assert SECRET not in str(finding)
    assert "a.txt: a secret (p@...) in raw form" in str(finding)


@pytest.mark.parametrize(
    ("form", "text"),
    [
        ("upper-case", f"echo {SECRET.upper()}"),
        ("lower-case", "echo mixed-case-77"),
        ("mixed case", "echo Pass-WORD-91x"),
        ("hex", "echo " + b"pass-word-91x".hex()),
        ("hex, upper-case", "echo " + b"pass-word-91x".hex().upper()),
        ("split over two lines", "echo pass-wo\nrd-91x"),
        ("split, indented", "echo pass-\r\n      word-91x"),
        ("split, JSON-escaped", json.dumps({"m": "echo pass-word\n    -91x"})),
        ("split, upper-case", "echo PASS-WO\n  RD-91X"),
    ],
)
def test_a_secret_in_another_shape_is_found(tmp_path: Path, form: str, text: str) -> None:
    (tmp_path / "evidence.txt").write_text(f"header\n{text}\nfooter\n")
    secrets = ["pass-word-91x", "Mixed-Case-77", SECRET]
    assert [f.path.name for f in scan(tmp_path, secrets)] == ["evidence.txt"]


def test_text_that_only_looks_alike_passes(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("pass-word-9\n1 pass-word-91 x pass word-91x")
    assert scan(tmp_path, ["pass-word-91x"]) == []
