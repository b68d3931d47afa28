"""A small LSP client for tests and the benchmark: ``interlock lsp`` as a real subprocess,
JSON-RPC with Content-Length framing, written by hand (not pygls's own client) so that it
checks the server's framing strictly and can send broken frames.

Every byte the server writes to stdout must be part of a well-formed message: anything
else (a stray ``print``) lands in ``garbage`` and the tests assert it stays empty.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from tests.conftest import wait_until


class ServerError(AssertionError):
    """The server answered a request with an error."""


class LspClient:
    def __init__(
        self, cwd: Path, *args: str, env: dict[str, str] | None = None, log: Path | None = None
    ) -> None:
        self.stderr_path = log or cwd / ".lsp-stderr.log"  # the server's stderr
        self._stderr = self.stderr_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "interlock.cli", "lsp", *args],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "INTERLOCK_ENV": "local", **(env or {})},
        )
        self.messages: list[dict[str, Any]] = []  # everything the server sent, in order
        self.pause = 0.005  # s between looks for an awaited message (the benchmark's is less)
        self.garbage: list[bytes] = []  # stdout bytes that were no LSP message
        self._lock = threading.Lock()
        self._next_id = 0
        assert self.process.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        self._reader.start()

    # -- the wire ------------------------------------------------------------------------------

    def _read(self, stream: BinaryIO) -> None:
        while True:
            headers: dict[str, str] = {}
            while True:
                line = stream.readline()
                if not line:
                    return
                if line == b"\r\n":
                    break
                name, colon, value = line.decode("ascii", "replace").partition(":")
                if not colon or not line.endswith(b"\r\n") or not name.strip():
                    self.garbage.append(line)
                    continue
                headers[name.strip().lower()] = value.strip()
            if "content-length" not in headers:
                self.garbage.append(b"(a blank line without headers)")
                continue
            body = stream.read(int(headers["content-length"]))
            try:
                message = json.loads(body)
            except ValueError:
                self.garbage.append(body)
                continue
            with self._lock:
                self.messages.append(message)

    def send_raw(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send_body(self, body: bytes) -> None:
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send(self, message: dict[str, Any]) -> None:
        self.send_body(json.dumps({"jsonrpc": "2.0", **message}).encode())

    # -- requests and notifications ----------------------------------------------------------

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 30) -> Any:
        self._next_id += 1
        number = self._next_id
        self.send({"id": number, "method": method, "params": params})
        answer = self.wait_for(
            lambda m: m.get("id") == number and "method" not in m, f"an answer to {method}", timeout
        )
        if "error" in answer:
            raise ServerError(f"{method}: {answer['error']}")
        return answer.get("result")

    def wait_for(
        self,
        wanted: Callable[[dict[str, Any]], bool],
        what: str,
        timeout: float = 30,
        after: int = 0,
    ) -> dict[str, Any]:
        """The first message (from index ``after`` on) that is ``wanted``, waited for while
        the server is alive."""
        found: list[dict[str, Any]] = []

        def arrived() -> bool:
            with self._lock:
                found.extend(m for m in self.messages[after:] if wanted(m))
            return bool(found)

        try:
            wait_until(arrived, self.process, what, timeout=timeout, pause=self.pause)  # type: ignore[arg-type]
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the server's stderr:\n{self.stderr()}") from None
        return found[0]

    def diagnostics(self, uri: str, version: int, timeout: float = 30) -> list[dict[str, Any]]:
        """The diagnostics the server publishes for ``version`` of the document."""
        message = self.wait_for(
            lambda m: (
                m.get("method") == "textDocument/publishDiagnostics"
                and m["params"]["uri"] == uri
                and m["params"].get("version") == version
            ),
            f"diagnostics of {uri} version {version}",
            timeout,
        )
        return list(message["params"]["diagnostics"])

    # -- a session -----------------------------------------------------------------------------

    def initialize(self, root: Path) -> dict[str, Any]:
        result = self.request(
            "initialize",
            {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {}},
            timeout=60,
        )
        self.notify("initialized", {})
        return dict(result)

    def open(self, uri: str, text: str, version: int = 1) -> None:
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "gherkin",
                    "version": version,
                    "text": text,
                }
            },
        )

    def change(self, uri: str, text: str, version: int) -> None:
        self.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]},
        )

    def at(self, method: str, uri: str, line: int, character: int) -> Any:
        position = {
            "textDocument": {"uri": uri},
            "position": {"line": line, "character": character},
        }
        return self.request(method, position)

    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def close(self, timeout: float = 30) -> int:
        """shutdown, exit; the server's exit code (it is killed if it does not exit)."""
        try:
            if self.process.poll() is None:
                self.request("shutdown", None)
                self.notify("exit", None)
            return self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self._reader.join(timeout=5)
            self._stderr.close()
