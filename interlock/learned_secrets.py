"""The secrets a run learns while it goes on (tokens a login or OAuth2 call fetched),
shared by every process of the run: in memory in the process that learned them, and
through a private file in the state folder (``<state>/secrets/learned-<pid>.jsonl``,
0600, one JSON string a line, fsynced before the secret can be printed) that the
run's workers append to and its parent reads before it writes the summary, JUnit and
sign-off and scans for leaks. The parent deletes it when the run ends; a killed run's
file is deleted by the next run."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar


class LearnedSecrets:
    """Secrets that became known while the run goes on (fetched tokens), kept where
    every process of the run can read them: in memory for this process, appended to a
    private file (0600, one JSON string a line, fsynced) for the others. The run's
    parent deletes the file when it ends.

    ``LearnedSecrets.at(path)`` gives the one store of a file in this process, so that
    the masker of the hooks and the one of the Allure formatter share what is learned.
    """

    _stores: ClassVar[dict[Path, LearnedSecrets]] = {}
    _stores_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path
        self._known: list[str] = []
        self._seen: set[str] = set()
        self._offset = 0
        self._lock = threading.Lock()

    @classmethod
    def at(cls, path: Path) -> LearnedSecrets:
        key = Path(os.path.abspath(path))
        with cls._stores_lock:
            store = cls._stores.get(key)
            if store is None:
                store = cls._stores[key] = cls(key)
            return store

    def record(self, secret: str) -> None:
        """Keep ``secret``, and write it to the file before anything can print it."""
        with self._lock:
            self._refresh()
            if secret in self._seen:
                return
            self._keep(secret)
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (json.dumps(secret) + "\n").encode())
                os.fsync(fd)
            finally:
                os.close(fd)

    def secrets(self) -> tuple[str, ...]:
        """Everything learned so far, by this process or another of the run."""
        with self._lock:
            self._refresh()
            return tuple(self._known)

    def delete(self) -> None:
        """Remove the file (what was read stays known to this process)."""
        with self._lock:
            self._refresh()
            self.path.unlink(missing_ok=True)
            self._offset = 0

    def _keep(self, secret: str) -> None:
        self._seen.add(secret)
        self._known.append(secret)

    def _refresh(self) -> None:
        try:
            size = os.stat(self.path).st_size
        except OSError:
            return
        if size <= self._offset:
            return
        try:
            with open(self.path, "rb") as file:
                file.seek(self._offset)
                data = file.read(size - self._offset)
        except OSError:
            return
        end = data.rfind(b"\n") + 1  # a line still being written is read next time
        self._offset += end
        for line in data[:end].splitlines():
            with contextlib.suppress(ValueError):
                secret = json.loads(line)
                if isinstance(secret, str) and secret not in self._seen:
                    self._keep(secret)


# behave userdata: the learned-secrets file of the ``interlock run`` a worker belongs to.
LEARNED_SECRETS_KEY = "interlock.learned_secrets"


def run_learned_secrets(userdata: Mapping[str, Any], state_dir: Path) -> LearnedSecrets:
    """The store of the run this behave process belongs to: the file ``interlock run``
    named, or (plain ``behave``) one of this process's own."""
    named = userdata.get(LEARNED_SECRETS_KEY)
    return LearnedSecrets.at(Path(str(named)) if named else learned_secrets_file(state_dir))


def learned_secrets_file(state_dir: Path, pid: int | None = None) -> Path:
    """Where the run of process ``pid`` (this one by default) keeps learned secrets."""
    return state_dir / "secrets" / f"learned-{os.getpid() if pid is None else pid}.jsonl"


def remove_stale_learned_files(state_dir: Path) -> None:
    """Delete the learned-secrets files of runs whose process is gone (killed)."""
    # Imported here: interlock.environment imports masking, which imports this module.
    from interlock.environment.processes import pid_alive

    for path in (state_dir / "secrets").glob("learned-*.jsonl"):
        pid = path.stem.removeprefix("learned-")
        if pid.isdigit() and not pid_alive(int(pid)):
            path.unlink(missing_ok=True)
