"""The HTML report build leaves nothing half-built, whenever a Ctrl-C lands."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from interlock import report
from interlock.config import load_config

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("moment", ["the build's config", "the log folder"])
def test_a_ctrl_c_before_the_cli_starts_leaves_no_temporary_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moment: str
) -> None:
    """Found by the signal soak: a SIGINT just after the temporary folder was made, while
    its config file was written, left both behind (the cleanup's try had not begun)."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    config = load_config(root=tmp_path, env="local")
    monkeypatch.setattr(report, "allure_cli", lambda root: Path("/bin/true"))
    real_write, real_mkdir = Path.write_text, Path.mkdir

    def write_text(path: Path, *args: object, **kwargs: object) -> int:
        if moment == "the build's config" and path.name.startswith(".allure-report-"):
            raise KeyboardInterrupt
        return real_write(path, *args, **kwargs)  # type: ignore[arg-type]

    def mkdir(path: Path, *args: object, **kwargs: object) -> None:
        if moment == "the log folder" and path.name == "logs":
            raise KeyboardInterrupt
        real_mkdir(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", write_text)
    monkeypatch.setattr(Path, "mkdir", mkdir)
    reports = config.reports_dir
    with pytest.raises(KeyboardInterrupt):
        report.build_html(config, reports / "allure-results", reports / "allure-report")
    assert list(reports.glob(".allure-report-*")) == [], f"left after a Ctrl-C at {moment}"
