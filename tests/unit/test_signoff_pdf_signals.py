"""A Ctrl-C while the sign-off PDF's Chromium is being started leaves no Chromium behind
(found by soak 9: a process outlived a run interrupted while its report was built)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from interlock import signoff

# A "chromium" that stands for the real one: it starts a helper in its group and waits.
FAKE_CHROMIUM = "#!/bin/sh\nsleep 60 &\nexec sleep 60\n"


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or not alive(int(entry.name)):
            continue
        try:
            if os.getpgid(int(entry.name)) == pgid:
                members.append(int(entry.name))
        except ProcessLookupError:
            continue
    return members


def test_a_ctrl_c_while_chromium_starts_stops_it_and_its_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "chromium"
    fake.write_text(FAKE_CHROMIUM)
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    page = tmp_path / "signoff" / "index.html"
    page.parent.mkdir()
    page.write_text("<html></html>")
    started: list[int] = []
    real_popen = subprocess.Popen

    def popen_then_ctrl_c(*args: Any, **kwargs: Any) -> Any:
        process = real_popen(*args, **kwargs)
        started.append(process.pid)
        os.kill(os.getpid(), signal.SIGINT)  # lands before Popen has returned the handle
        return process

    monkeypatch.setattr(signoff.subprocess, "Popen", popen_then_ctrl_c)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            signoff.print_pdf(page, timeout=30)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert started, "Chromium was never started"
    assert not alive(started[0]), "Chromium outlived the Ctrl-C"
    assert not group_members(started[0]), "Chromium's helpers outlived it"
