"""The digest of a run's results that the sign-off pack and approvals carry."""

from __future__ import annotations

import hashlib
from pathlib import Path

from interlock import approval


def test_the_digest_covers_the_result_files_names_and_contents_in_name_order(
    tmp_path: Path,
) -> None:
    files = {
        "b-result.json": b'{"status": "passed"}',
        "a-container.json": b"{}",
        "c-attachment.txt": b"evidence",
        ".d-result.json": b"hidden, still a result",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "notes.txt").write_text("not a result")
    (tmp_path / "e-result.json").mkdir()  # a folder, not a result
    expected = hashlib.sha256()
    for name in sorted(files):
        expected.update(name.encode() + b"\0")
        expected.update(hashlib.sha256(files[name]).digest())
    assert approval.results_digest(tmp_path) == expected.hexdigest()
    (tmp_path / "notes.txt").write_text("changed")
    assert approval.results_digest(tmp_path) == expected.hexdigest()
    (tmp_path / "c-attachment.txt").write_bytes(b"changed")
    assert approval.results_digest(tmp_path) != expected.hexdigest()


def test_no_results_folder_is_the_digest_of_nothing(tmp_path: Path) -> None:
    empty = hashlib.sha256().hexdigest()
    assert approval.results_digest(tmp_path / "missing") == empty
    (tmp_path / "file").write_text("")
    assert approval.results_digest(tmp_path / "file") == empty
