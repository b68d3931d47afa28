"""Approval records: who accepted (or rejected) which results, when, signed.

``interlock signoff --approve --by "Name, role" [--comment ...] [--key KEY]`` writes
``approvals/<time>-approved.json`` at the suite's root (kept with the suite, committed;
not under ``reports/``, which each run empties): the decision, the verdict, the
SHA-256 of the results (every result, container and attachment file) and of the
feature files they came from, and the time. With ``--key`` it is signed with
``ssh-keygen -Y sign -n interlock-signoff`` (``<file>.sig`` beside it); ``--verify``
checks the signature against ``approvals/allowed_signers`` (OpenSSH's format:
``principal key-type key``) with ``ssh-keygen -Y verify``. A digest alone proves
nothing (whoever edits the file can recompute it): an unsigned approval is shown as
"unsigned", and a suite with an allowed signers file accepts no unsigned one.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from interlock.errors import ExitCode, InterlockError

FOLDER = "approvals"
ALLOWED_SIGNERS = "allowed_signers"
NAMESPACE = "interlock-signoff"
_RESULT_FILES = ("*-result.json", "*-container.json", "*-attachment*")


class ApprovalError(InterlockError):
    """An approval cannot be written, or does not match what it claims to approve."""

    exit_code = ExitCode.FAILED


_RESULT_NAME = re.compile("|".join(fnmatch.translate(p) for p in _RESULT_FILES))


def results_digest(results_dir: Path) -> str:
    """SHA-256 over the results' files (names and contents), in name order."""
    digest = hashlib.sha256()
    try:
        entries = list(os.scandir(results_dir))  # one listing, names matched here
    except OSError:  # no results folder (or none that can be listed): no results
        return digest.hexdigest()
    names = sorted(e.name for e in entries if _RESULT_NAME.match(e.name) and e.is_file())
    for name in names:
        digest.update(name.encode() + b"\0")
        with open(os.path.join(results_dir, name), "rb") as data:
            digest.update(hashlib.sha256(data.read()).digest())
    return digest.hexdigest()


def record(
    root: Path,
    pack: dict[str, Any],
    decision: str,
    by: str,
    comment: str,
    key: Path | None,
    now: dt.datetime | None = None,
) -> Path:
    """Write the approval (``approved`` or ``rejected``) of ``pack``; sign it with ``key``."""
    if not by.strip():
        raise ApprovalError(
            "an approval names who gives it", hint='--by "Name, role"'
        )  # pragma: no cover - argparse requires it
    now = now or dt.datetime.now(dt.UTC)
    run = pack["run"]
    data = {
        "decision": decision,
        "by": by.strip(),
        "comment": comment,
        "time": now.isoformat(timespec="seconds"),
        "project": run["project"],
        "environment": run["environment"],
        "commit": run["commit"],
        "verdict": pack.get("headline", pack["verdict"]),
        "accepted": pack["verdict"] == "ACCEPTED",
        "reasons": pack["reasons"],
        "scope": pack.get("scope", {}).get("described", ""),
        "results_digest": run["results_digest"],
        "features_digest": run["features_fingerprint"],
        "feature_files": run["feature_files"],
    }
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"{stamp}-{decision}.json"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stamp}-{decision}-{n}.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    if key is not None:
        try:
            _sign(path, key)
        except ApprovalError:
            path.unlink()
            raise
    return path


def _ssh_keygen() -> str:
    found = shutil.which("ssh-keygen")
    if found is None:
        raise ApprovalError(
            "ssh-keygen is not installed, so approvals cannot be signed or checked",
            hint="install it: apt-get install openssh-client",
        )
    return found


def _sign(path: Path, key: Path) -> None:
    if not key.is_file():
        raise ApprovalError(f"--key {key}: no such file", hint="the private key you sign with")
    result = subprocess.run(
        [_ssh_keygen(), "-Y", "sign", "-f", str(key), "-n", NAMESPACE, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0 or not Path(f"{path}.sig").is_file():
        raise ApprovalError(
            f"signing {path.name} with {key} failed: {result.stderr.strip() or result.stdout}",
            hint="--key names an SSH private key (ssh-keygen -t ed25519 makes one)",
        )


def signature(root: Path, path: Path) -> tuple[bool | None, str]:
    """(True, signer) for a good signature; (False, why) for a bad one or an unsigned
    approval in a suite that signs; (None, "unsigned") for an unsigned one elsewhere."""
    sig = Path(f"{path}.sig")
    signers = root / FOLDER / ALLOWED_SIGNERS
    if not sig.is_file():
        if signers.is_file():
            return False, (
                f"unsigned, but this suite's approvals are signed ({FOLDER}/{ALLOWED_SIGNERS}"
                " exists): approve again with --key"
            )
        return None, "unsigned"
    if not signers.is_file():
        return False, f"signed, but {FOLDER}/{ALLOWED_SIGNERS} is missing, so no key is trusted"
    keygen = _ssh_keygen()
    found = subprocess.run(
        [keygen, "-Y", "find-principals", "-s", str(sig), "-f", str(signers)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    principals = found.stdout.split()
    if found.returncode != 0 or not principals:
        return False, f"signed with a key {FOLDER}/{ALLOWED_SIGNERS} does not list"
    with path.open("rb") as message:
        checked = subprocess.run(
            [keygen, "-Y", "verify", "-f", str(signers), "-I", principals[0], "-n", NAMESPACE,
             "-s", str(sig)],
            stdin=message, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    if checked.returncode != 0:
        why = (checked.stderr or checked.stdout).strip().splitlines()
        return False, f"the signature does not match the file ({why[-1] if why else 'bad'})"
    return True, principals[0]


def latest_for(root: Path, digest: str) -> dict[str, Any] | None:
    """The newest approval of the results with ``digest``, as the page shows it."""
    folder = root / FOLDER
    found: list[tuple[str, Path, dict[str, Any]]] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("results_digest") == digest:
            found.append((str(data.get("time", "")), path, data))
    if not found:
        return None
    _, path, data = max(found, key=lambda item: (item[0], item[1].name))
    try:
        good, who = signature(root, path)
    except (ApprovalError, OSError, subprocess.TimeoutExpired) as exc:
        good, who = False, f"the signature could not be checked: {exc}"
    shown = "unsigned" if good is None else (f"signed by {who}" if good else who)
    return {
        "file": f"{FOLDER}/{path.name}",
        "decision": data.get("decision"),
        "by": data.get("by"),
        "comment": data.get("comment", ""),
        "time": data.get("time"),
        "verdict": data.get("verdict"),
        "results_digest": data.get("results_digest"),
        "signed": good is not None,
        "signature": shown,
        "signature_ok": good,
    }


def verify(root: Path, pack: dict[str, Any], results_dir: Path, fingerprint: Any) -> list[str]:
    """What no longer matches between the pack, its approval and the results (empty: all
    match, and the approval's signature is good or the suite signs none); each a sentence."""
    problems: list[str] = []
    now = results_digest(results_dir)
    if pack["run"].get("results_digest") != now:
        problems.append(
            "the results changed since the pack was written (their digest differs);"
            " run interlock signoff to write it again, then approve it again"
        )
    shown = pack.get("approval")
    if not shown:
        problems.append(
            'the pack records no approval: interlock signoff --approve --by "Name, role"'
        )
        return problems
    path = root / shown["file"]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [*problems, f"{shown['file']} cannot be read: {exc}"]
    if data.get("results_digest") != now:
        problems.append(
            f"{shown['file']}: the results changed after {data.get('by')} approved them"
            f" on {data.get('time')} (their digest differs): that approval is not for these"
        )
    files = [root / f for f in data.get("feature_files", [])]
    if fingerprint(files) != data.get("features_digest"):
        problems.append(f"{shown['file']}: the feature files changed since they were approved")
    if data.get("verdict") != pack.get("headline", pack.get("verdict")):
        problems.append(
            f"{shown['file']}: it approved {data.get('verdict')!r}; the pack says"
            f" {pack.get('headline')!r}"
        )
    good, who = signature(root, path)
    if good is False:
        problems.append(f"{shown['file']}: {who}")
    return problems


def stale(previous: dict[str, Any] | None, digest: str) -> str | None:
    """A reason when the last pack was approved and its results have changed since
    (without a new run, which writes a pack with no approval)."""
    previous = previous or {}
    shown = previous.get("approval") or previous.get("stale_approval")
    if not shown or shown.get("results_digest") == digest:
        return None
    return (
        f"the results changed after {shown.get('by')} approved them on {shown.get('time')}"
        f" ({shown.get('file')}): that approval is not for these results"
    )
