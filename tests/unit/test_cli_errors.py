"""The interlock command never shows a user a traceback, unless asked with --debug."""

from __future__ import annotations

import argparse

import pytest

from interlock import cli
from interlock.errors import ConfigError


def failing(exc: Exception):  # type: ignore[no-untyped-def]
    def command(args: argparse.Namespace) -> int:
        raise exc

    return command


def test_an_unexpected_error_is_one_named_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "cmd_lint", failing(ValueError("could not convert\nstring: '2.5'")))
    assert cli.main(["lint"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("interlock: error: ValueError: could not convert string: '2.5'")
    assert "--debug" in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "cmd_lint", failing(KeyError("services")))
    assert cli.main(["--debug", "lint"]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert "interlock: error: KeyError: 'services'" in err


def test_an_interlock_error_keeps_its_message_and_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "cmd_lint", failing(ConfigError("config/x.yaml:3: bad", hint="fix")))
    assert cli.main(["lint"]) == 2
    err = capsys.readouterr().err
    assert err == "interlock: config/x.yaml:3: bad\n  -> fix\n"
    monkeypatch.setattr(cli, "cmd_lint", failing(ConfigError("bad again")))
    assert cli.main(["--debug", "lint"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_a_reader_that_stops_early_is_no_error() -> None:
    """`interlock manual | head -2` printed "error: BrokenPipeError" (found by the docs)."""
    import subprocess
    import sys

    script = (
        "import sys; from interlock import cli\n"
        "def lint(args):\n"
        "    for n in range(100000):\n"
        "        print('line', n)\n"
        "    return 0\n"
        "cli.cmd_lint = lint\n"
        "sys.exit(cli.main(['lint']))\n"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert writer.stdout is not None and writer.stderr is not None
    writer.stdout.readline()
    writer.stdout.close()  # as `head -1` does once it has its line
    err = writer.stderr.read().decode()
    assert writer.wait(timeout=60) == 0, err
    assert "error" not in err and "Traceback" not in err, err
