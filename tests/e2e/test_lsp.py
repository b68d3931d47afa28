"""``interlock lsp`` as an editor starts it: a subprocess speaking LSP over stdin/stdout.

The client (tests/e2e/lsp_client.py) is written by hand and strict about framing: every
byte on the server's stdout must belong to a message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.lsp_client import LspClient, ServerError

pytestmark = pytest.mark.e2e

FEATURE = """\
Feature: Products
  @REQ-1
  Scenario: Adding a product
    Given the "inventory" service
    When I se
    Then the respons status should be 201
"""


@pytest.fixture
def server(project: Path) -> Iterator[LspClient]:
    client = LspClient(project)
    client.initialize(project)
    yield client
    code = client.close()
    assert client.garbage == [], "the server wrote something else than LSP messages to stdout"
    assert code == 0, client.stderr()


def uri_of(project: Path, name: str) -> str:
    return (project / "features" / name).as_uri()


def test_completion_hover_definition_and_diagnostics(server: LspClient, project: Path) -> None:
    uri = uri_of(project, "products.feature")
    server.open(uri, FEATURE)

    diagnostics = server.diagnostics(uri, 1)
    assert [(d["range"]["start"]["line"], d["severity"]) for d in diagnostics] == [
        (4, 1),
        (5, 1),
    ]  # 0-based: "When I se" and the typo, both errors
    typo = diagnostics[1]
    assert typo["message"].startswith("undefined step: 'the respons status should be 201'")
    assert "did you mean: the response status should be <status>" in typo["message"]
    assert typo["range"]["start"]["character"] == 4  # from the keyword, not the indentation

    completion = server.at("textDocument/completion", uri, 4, len("    When I se"))
    items = {item["label"]: item for item in completion["items"]}
    send = items['I send a <method> request to "<path>"']
    assert send["insertTextFormat"] == 2  # a snippet
    assert send["textEdit"]["newText"] == 'I send a ${1:GET} request to "${2:path}"'
    edited = send["textEdit"]["range"]  # replaces what was typed after the keyword
    assert (edited["start"]["character"], edited["end"]["character"]) == (9, 13)
    assert all(label.startswith("I send a") for label in items)
    assert "the response status should be <status>" not in items

    hover = server.at("textDocument/hover", uri, 3, 12)
    text = hover["contents"]["value"]
    assert text.startswith('**the "<name>" service**')
    assert "Later requests go to this configured service" in text
    assert "Example: `the" in text

    where = server.at("textDocument/definition", uri, 3, 12)
    assert where["uri"].endswith("/interlock_steps/http_steps.py")
    line = (Path(where["uri"].removeprefix("file://"))).read_text().splitlines()
    assert line[where["range"]["start"]["line"]] == """@step('the "{name:Quoted}" service')"""

    fixed = FEATURE.replace("I se\n", 'I send a GET request to "/products"\n').replace(
        "respons ", "response "
    )
    server.change(uri, fixed, 2)
    assert server.diagnostics(uri, 2) == []


def alive(server: LspClient, project: Path) -> None:
    """The server still answers: completion and diagnostics of a fresh document."""
    uri = uri_of(project, "alive.feature")
    server.open(uri, FEATURE)
    assert len(server.diagnostics(uri, 1)) == 2
    completion = server.at("textDocument/completion", uri, 4, len("    When I se"))
    assert completion["items"]
    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


BAD_TEXTS = {
    "binary bytes": "".join(map(chr, range(256))) * 4,
    "binary after a title": "Feature: F\n  Scenario: S\n    Given \x00\x01\x02\x7f\x80\xff\n",
    "lone surrogates (non-UTF-8 bytes as an editor decodes them)": (
        "Feature: F\n  Scenario: S\n    Given caf\udce9 \udcff\n"
    ),
    "replacement characters": "Feature: F\ufffd\n  Scenario: S\ufffd\n    Given \ufffd\ufffd\n",
    "tabs in a table": (
        "Feature: F\n  Scenario: S\n    Given the request headers:\n"
        "\t| name\t| value |\n\t| X-A\t| 1 |\n"
    ),
    "an unclosed doc string": (
        'Feature: F\n  Scenario: S\n    When I send a POST request to "/p" with JSON:\n'
        '      """\n      {"a": \n'
    ),
    "an empty file": "",
    "only blanks and CRs": "\r\r\n \t\n\r",
    "not Gherkin": "SELECT * FROM products;\n",
    "a product the shop does not sell": (
        "Feature: F\n  @REQ-1\n  Scenario: S\n    When Ana orders 1 office chair\n"
    ),
    "a very long line": "Feature: F\n  Scenario: S\n    Given " + "x" * 200_000 + "\n",
}


def test_the_server_survives_any_text(server: LspClient, project: Path) -> None:
    uri = uri_of(project, "bad.feature")
    server.open(uri, "Feature: F\n")
    assert server.diagnostics(uri, 1) == []
    for version, (what, text) in enumerate(BAD_TEXTS.items(), start=2):
        server.change(uri, text, version)
        diagnostics = server.diagnostics(uri, version)
        lines = max(1, len(text.splitlines()))
        for diagnostic in diagnostics:
            assert 0 <= diagnostic["range"]["start"]["line"] < lines + 1, (what, diagnostic)
        for line in range(5):  # asking about any line of it is fine too
            for method in ("completion", "hover", "definition"):
                server.at(f"textDocument/{method}", uri, line, 5)
        if what == "a product the shop does not sell":  # lint failed on it (issue 17)
            assert 1 in [d["severity"] for d in diagnostics]  # an error, whatever it says
        alive(server, project)


def test_the_server_survives_broken_messages(server: LspClient, project: Path) -> None:
    uri = uri_of(project, "bad.feature")
    broken = [
        b'{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": '
        b'{"uri": "' + uri.encode() + b'", "languageId": "gherkin", "version": 1, "text": '
        b'"Feature: \xff\xfe\xc3\x28 invalid UTF-8"}}}',
        b"this is not JSON \x00\xff",
        b"",
        json.dumps({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {}}).encode(),
        json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "textDocument/didChange",
                "params": {
                    "textDocument": {"uri": uri_of(project, "never-opened.feature"), "version": 3},
                    "contentChanges": [{"text": "Feature: F\n"}],
                },
            }
        ).encode(),
    ]
    for body in broken:
        server.send_body(body)
        alive(server, project)
    with pytest.raises(ServerError):
        server.request("interlock/no-such-method", {})
    server.send(  # invalid params: pygls drops such a request unanswered, and goes on
        {
            "id": 999,
            "method": "textDocument/hover",
            "params": {"textDocument": {"uri": uri}, "position": {"line": -1, "character": -1}},
        }
    )
    server.at("textDocument/hover", uri_of(project, "nowhere.feature"), 10**6, 10**6)
    alive(server, project)


def test_a_five_megabyte_feature_lints_clean(server: LspClient, project: Path) -> None:
    block = (
        "\n  @REQ-1\n  Scenario: Adding product number {n}\n"
        '    Given the "inventory" service\n'
        '    When I send a POST request to "/products" with JSON:\n'
        '      """\n      {{"sku": "SKU-{n}-${{unique}}", "name": "Lamp {n}", "price": 19.9}}\n'
        '      """\n    Then the response status should be 201\n'
    )
    text = "Feature: A big one\n" + "".join(block.format(n=n) for n in range(20_000))
    assert len(text.encode()) > 5_000_000
    uri = uri_of(project, "big.feature")
    server.open(uri, text)
    assert server.diagnostics(uri, 1, timeout=180) == []
    last = len(text.splitlines()) - 1
    hover = server.at("textDocument/hover", uri, last, 10)
    assert "the response status should be" in hover["contents"]["value"]
    server.change(uri, text[: -len("201\n")] + "2O1\n", 2)  # a typo on the very last line
    (typo,) = server.diagnostics(uri, 2, timeout=180)
    assert typo["range"]["start"]["line"] == last
    assert typo["message"].startswith("undefined step: 'the response status should be 2O1'")
    alive(server, project)


def test_step_modules_that_print_do_not_reach_the_protocol(project: Path) -> None:
    (project / "steps" / "noisy_steps.py").write_text(
        "import os, sys\n"
        "from behave import step\n"
        'print("print from a step module")\n'
        'sys.stdout.write("sys.stdout from a step module\\n")\n'
        'os.write(1, b"fd 1 from a step module\\n")\n\n\n'
        '@step("the noise is {level:Int} decibels")\n'
        "def step_noise(context, level):\n"
        '    """Says how loud it is."""\n'
        '    print("print at run time")\n'
    )
    client = LspClient(project)
    try:
        client.initialize(project)
        uri = uri_of(project, "noise.feature")
        client.open(uri, "Feature: F\n  @REQ-1\n  Scenario: S\n    Given the noise is 3 decibels\n")
        assert client.diagnostics(uri, 1) == []
        completion = client.at("textDocument/completion", uri, 3, len("    Given the noise"))
        labels = [item["label"] for item in completion["items"]]
        assert labels == ["the noise is <level> decibels"]
    finally:
        code = client.close()
    assert client.garbage == []
    assert code == 0
    stderr = client.stderr()
    for line in ("print from", "sys.stdout from", "fd 1 from"):
        assert f"{line} a step module" in stderr


def test_steps_that_do_not_load_leave_a_server_that_checks_syntax(project: Path) -> None:
    (project / "steps" / "broken_steps.py").write_text("raise RuntimeError('no database driver')\n")
    client = LspClient(project)
    try:
        client.initialize(project)
        note = client.wait_for(lambda m: m.get("method") == "window/showMessage", "a message")
        message = note["params"]["message"]
        assert "broken_steps.py:1" in message
        assert "RuntimeError: no database driver" in message
        assert "only Gherkin syntax is checked" in message
        uri = uri_of(project, "x.feature")
        client.open(uri, FEATURE)
        assert client.diagnostics(uri, 1) == []  # steps unknown: not called undefined
        client.change(uri, "Scenario: no feature\n", 2)
        (problem,) = client.diagnostics(uri, 2)
        assert problem["message"].startswith("not valid Gherkin")
    finally:
        code = client.close()
    assert client.garbage == []
    assert code == 0


def test_the_server_ends_when_the_editor_goes_away(project: Path) -> None:
    client = LspClient(project)
    try:
        client.initialize(project)
        uri = uri_of(project, "x.feature")
        client.open(uri, FEATURE)
        client.diagnostics(uri, 1)
        assert client.process.stdin is not None
        client.process.stdin.close()  # the editor died: no shutdown, no exit
        assert client.process.wait(timeout=30) == 1  # LSP: ending without shutdown is 1
    finally:
        client.close()
    assert client.garbage == []


def test_outline_steps_and_a_bare_keyword(server: LspClient, project: Path) -> None:
    uri = uri_of(project, "outline.feature")
    server.open(
        uri,
        "Feature: F\n  @REQ-1\n  Scenario Outline: Refusing <count> lamps\n"
        "    Given the shop has 1 desk lamp in stock\n"
        "    When Dora orders <count> desk lamps\n"
        "    Then\n\n"
        "    Examples:\n      | count |\n      | 2     |\n",
    )
    (problem,) = server.diagnostics(uri, 1)  # only the bare "Then": the outline step is known
    assert problem["range"]["start"]["line"] == 5
    hover = server.at("textDocument/hover", uri, 4, 12)
    assert hover["contents"]["value"].startswith("**<customer> orders <count> <product>**")
    where = server.at("textDocument/definition", uri, 4, 12)
    assert where["uri"].endswith("/steps/shop_steps.py")
    completion = server.at("textDocument/completion", uri, 5, len("    Then"))
    edits = {item["label"]: item["textEdit"]["newText"] for item in completion["items"]}
    assert (
        edits["the response status should be <status>"]
        == " the response status should be ${1:status}"
    )
