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
from interlock.environment.processes import group_members, pid_alive

# A "chromium" that stands for the real one: it starts a helper in its group and waits.
FAKE_CHROMIUM = "#!/bin/sh\nsleep 60 &\nexec sleep 60\n"


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
    assert not pid_alive(started[0]), "Chromium outlived the Ctrl-C"
    assert not group_members(started[0]), "Chromium's helpers outlived it"
