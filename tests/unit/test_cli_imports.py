"""``interlock run`` pays only for what it uses: the modules of the other commands are
imported by their command."""

from __future__ import annotations

import subprocess
import sys

OTHER_COMMANDS = ("interlock.catalog", "interlock.doctor", "interlock.scaffold", "interlock.lsp")


def test_the_command_line_imports_other_commands_modules_only_when_they_run() -> None:
    shown = subprocess.run(
        [sys.executable, "-c", "import sys, interlock.cli; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert [name for name in OTHER_COMMANDS if f"'{name}'" in shown] == []
