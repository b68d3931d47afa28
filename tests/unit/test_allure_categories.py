"""Every category's patterns are valid where Allure 3 reads them: JavaScript's RegExp.

A pattern with an inline flag ("(?s)...") is valid Python but not JavaScript; Allure 3
then failed the whole HTML report build of any run with a failure ("Invalid group").
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from interlock.allure_files import CATEGORIES

PATTERNS = [
    (category["name"], key, category[key])
    for category in CATEGORIES
    for key in ("messageRegex", "traceRegex")
    if key in category
]


@pytest.mark.skipif(shutil.which("node") is None, reason="node runs the Allure CLI")
@pytest.mark.parametrize(("name", "key", "pattern"), PATTERNS)
def test_each_category_pattern_is_a_javascript_regexp(name: str, key: str, pattern: str) -> None:
    checked = subprocess.run(
        ["node", "-e", "new RegExp(process.argv[1])", pattern],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert checked.returncode == 0, f"{name}: {key} {pattern!r}: {checked.stderr.strip()}"
