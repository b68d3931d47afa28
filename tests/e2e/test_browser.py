"""The web page steps in a real browser: what a failure says, what the evidence hides,
and the storefront feature run as a user runs it (two workers, screenshots per step).

Browsers are slow to start on a shared 2-core machine: the direct tests share one
browser (as a worker's scenarios do), and one run covers the feature-level checks."""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from interlock.api import pages
from interlock.browser import MASK_COLOR, Engine, PageFailure, Screen, chromium_path
from interlock.config_models import BrowserSettings
from interlock.masking import Masker
from tests.conftest import interlock
from tests.e2e.local_server import Reply, Seen, serve

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("chromium") is None and not Path("/usr/lib/chromium/chromium").exists(),
        reason="Debian's chromium is missing (make browser)",
    ),
]

SECRET = "s3cr3t-Shop-Token-42"
FORM = """<!doctype html><html><body>
<h1>Sign in</h1>
<label for="user">User name</label><input id="user">
<label for="key">API key</label><input id="key">
<label for="qty">Quantity</label><input id="qty" type="number">
<button>Save</button><button>Save</button>
<a href="/next">Next page</a>
<table><caption>Stock</caption><tr><th>Item</th><th>Left</th></tr>
<tr><td>Lamp</td><td>3</td></tr></table>
</body></html>"""


def decode_png(data: bytes) -> tuple[int, int, list[list[tuple[int, int, int]]]]:
    """Width, height and RGB rows of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, b"", b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and interlace == 0 and color in (2, 6), (depth, color, interlace)
    channels = 4 if color == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[list[tuple[int, int, int]]] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                best = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + best) & 0xFF
        rows.append([tuple(line[x : x + 3]) for x in range(0, stride, channels)])  # type: ignore[misc]
        previous = line
    return width, height, rows


def _page(request: Seen) -> Reply:
    if request.path.startswith("/slow"):
        return Reply(200, b"<p>late</p>", {"Content-Type": "text/html"}, delay=3)
    return Reply(200, FORM.encode(), {"Content-Type": "text/html"})


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    settings = BrowserSettings.model_validate({"timeout": 1.5})
    started = Engine(settings, None, lambda _: None, "test")
    yield started
    pgid = started.pgid
    started.close()
    from interlock.environment.processes import group_members

    assert not pgid or not group_members(pgid), "the browser's group outlived close()"


@pytest.fixture
def screen(engine: Engine) -> Iterator[tuple[Screen, str]]:
    with serve(_page) as server:
        opened = Screen(engine, engine.settings, Masker([SECRET]), lambda _: server.url)
        try:
            yield opened, server.url
        finally:
            opened.close()


def test_a_field_filled_with_a_secret_is_painted_over_and_masked_in_the_html(
    screen: tuple[Screen, str],
) -> None:
    page, _ = screen
    pages.open(page, "site", "/form")
    pages.fill(page, "API key", SECRET)
    pages.fill(page, "User name", "ana")
    # What the page holds, field values included, as the failure evidence writes it.
    page.page.evaluate(
        "() => document.querySelectorAll('input').forEach(i => i.setAttribute('value', i.value))"
    )
    html = page.html()
    assert SECRET not in html and 'value="ana"' in html
    _, _, rows = decode_png(page.screenshot())
    box = page.page.get_by_label("API key").bounding_box()
    assert box is not None
    wanted = tuple(int(MASK_COLOR[i : i + 2], 16) for i in (1, 3, 5))
    inside = [
        rows[y][x]
        for y in range(int(box["y"]) + 1, int(box["y"] + box["height"]) - 1)
        for x in range(int(box["x"]) + 1, int(box["x"] + box["width"]) - 1)
    ]
    assert inside and all(pixel == wanted for pixel in inside), "the secret field shows through"
    other = page.page.get_by_label("User name").bounding_box()
    assert other is not None
    assert rows[int(other["y"] + other["height"] / 2)][int(other["x"]) + 3] != wanted


def test_a_label_not_on_the_page_names_it_and_the_closest_labels(
    screen: tuple[Screen, str],
) -> None:
    page, url = screen
    pages.open(page, "site", "/form")
    with pytest.raises(PageFailure) as failure:
        pages.fill(page, "Quantty", "2")
    message = str(failure.value)
    assert f"no field labelled 'Quantty' on the page {url}/form" in message
    assert "closest on the page: 'Quantity'" in message


def test_a_text_not_shown_and_an_ambiguous_button_are_named(screen: tuple[Screen, str]) -> None:
    page, _ = screen
    pages.open(page, "site", "/form")
    with pytest.raises(PageFailure) as missing:
        pages.sees(page, "Signed in", 0.5)
    assert "'Signed in' is not shown" in str(missing.value)
    assert "'Sign in'" in str(missing.value)  # the closest text there
    with pytest.raises(PageFailure) as ambiguous:
        pages.click(page, "Save")
    assert "2 elements on the page are a button or link 'Save'" in str(ambiguous.value)
    assert str(ambiguous.value).count('button "Save"') == 2
    pages.sees(page, "Lamp")
    pages.table_shows(page, "Stock", [{"Item": "Lamp", "Left": "3"}])
    with pytest.raises(PageFailure) as row:
        pages.table_shows(page, "Stock", [{"Item": "Lamp", "Left": "4"}])
    assert "row 1 not found: {'Item': 'Lamp', 'Left': '4'}" in str(row.value)
    assert "Lamp | 3" in str(row.value)


def test_a_page_that_never_loads_is_a_timeout_naming_the_url(screen: tuple[Screen, str]) -> None:
    page, url = screen
    with pytest.raises(PageFailure) as failure:
        pages.open(page, "site", "/slow")
    assert str(failure.value) == (
        f"the page {url}/slow did not load within 1.5 s (browser.timeout)"
    )


def test_the_database_phrase_on_a_page_hints_at_the_page_phrase(
    screen: tuple[Screen, str],
) -> None:
    page, _ = screen
    error = AssertionError("no table 'Your orders' in the database")
    assert pages.hint_for_table_step(page, "Your orders", error) is error  # no page yet
    pages.open(page, "site", "/form")
    hinted = str(pages.hint_for_table_step(page, "Your orders", error))
    assert 'write Then the table "Your orders" should show:' in hinted


def test_a_missing_browser_names_the_command_that_installs_it(tmp_path: Path) -> None:
    from interlock.browser import BrowserUnavailable

    with pytest.raises(BrowserUnavailable) as failure:
        chromium_path(tmp_path / "no-chromium")
    assert "apt-get install -y --no-install-recommends chromium" in str(failure.value)


# -- the storefront feature, run as a user runs it --------------------------------------------

FAILING = """@storefront
Feature: Mistakes on a page
  Scenario: A label that is not there
    Given the "storefront" page "/shop"
    When I fill in "Your nam" with "ana"

  Scenario: The database phrase against a page
    Given the "storefront" page "/shop/orders?customer=nobody"
    Then the table "Your orders" should contain:
      | Status    |
      | Confirmed |
"""


def _results(project: Path) -> list[dict[str, Any]]:
    folder = project / "reports" / "allure-results"
    return [json.loads(p.read_text()) for p in folder.glob("*-result.json")]


def test_the_storefront_feature_passes_in_two_workers_with_a_screenshot_per_browser_step(
    project: Path,
) -> None:
    (project / "features" / "interface" / "mistakes.feature").write_text(FAILING)
    run = interlock(
        project, "run", "--no-report", "--workers", "2", "--tags", "@storefront", timeout=300
    )
    assert run.returncode == 1, run.stdout + run.stderr
    results = {r["name"]: r for r in _results(project)}
    folder = project / "reports" / "allure-results"
    browser_steps = 0
    for result in results.values():
        if result["fullName"].startswith("Mistakes"):
            continue
        assert result["status"] == "passed", result.get("statusDetails")
        for step in result["steps"]:
            kinds = [a["type"] for a in step.get("attachments", [])]
            if (
                "storefront" in step["name"]
                or step["name"]
                .split(" ", 1)[1]
                .startswith(('the "storefront" page', "I ", "within", 'the table "Products"'))
                or " sees " in step["name"]
                or " finds " in step["name"]
            ):
                browser_steps += 1
                assert "image/png" in kinds, f"no screenshot on {step['name']}"
        # The storefront step's evidence is the browser's, not an API call's.
        for step in result["steps"]:
            if step["name"].endswith("in the storefront") and "places" in step["name"]:
                names = [a["name"] for a in step["attachments"]]
                assert all(name.startswith("screenshot") for name in names), names
    assert browser_steps >= 12
    label = results["A label that is not there"]
    assert label["status"] == "failed"
    message = label["statusDetails"]["message"]
    assert "no field labelled 'Your nam'" in message and "'Your name'" in message, message
    failed_step = label["steps"][-1]
    kinds = {a["name"]: a["type"] for a in failed_step["attachments"]}
    assert kinds.get("page HTML") == "text/plain"
    assert {"browser console", "failed network requests"} <= set(kinds)
    assert any(t == "image/png" for t in kinds.values())
    hinted = results["The database phrase against a page"]["statusDetails"]["message"]
    assert 'Then the table "Your orders" should show:' in hinted, hinted
    for attachment in folder.glob("*-attachment.txt"):
        assert "demo-clerk-token" not in attachment.read_text(errors="replace")


TIME_LIMIT = """Feature: Time limit on a page
  Scenario: Waits too long
    Given the "storefront" page "/shop"
    Then within 60 seconds I should see "never shown anywhere"

  Scenario: The next one still works
    Given the "storefront" page "/shop"
    Then I should see "Place an order"
"""


def test_the_time_limit_cuts_a_browser_step_and_the_next_scenario_gets_a_working_page(
    project: Path,
) -> None:
    feature = project / "features" / "interface" / "limit.feature"
    feature.write_text(TIME_LIMIT)
    run = interlock(
        project, "run", "--no-report", "--set", "run.scenario_timeout=8",
        str(feature.relative_to(project)), timeout=300,
    )  # fmt: skip
    # (8 s: the second scenario's page must fit in it too, on a loaded machine)
    assert run.stdout.splitlines()[-1] == "scenarios: 1 passed, 1 failed", run.stdout + run.stderr
    assert "ran past its time limit of 8 s (run.scenario_timeout), in the step Then within 60" in (
        run.stdout
    )
