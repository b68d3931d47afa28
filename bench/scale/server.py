"""The service under test of the scale benchmark: answers after a fixed simulated latency.

    python bench/scale/server.py --port 8099 --latency-ms 50

``GET /items/<n>`` sleeps the latency, then answers a small JSON object;
``GET /health`` answers at once. Standard library only (a ``ThreadingHTTPServer``
on 127.0.0.1, HTTP/1.1 keep-alive), so it runs under any Python and is started by
interlock as an embedded service (``{python}`` and ``{port}`` filled in).
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

_ITEM = re.compile(r"^/items/(\d+)$")


class LatencyServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # eight workers connecting at once must not be refused

    def __init__(self, port: int, latency: float) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.latency = latency


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a scenario's two requests share a connection
    disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed ACK
    server: LatencyServer

    def do_GET(self) -> None:  # the name http.server calls
        path = self.path.split("?", 1)[0]
        if path == "/health":
            self._answer(200, {"status": "ok"})
            return
        match = _ITEM.match(path)
        if match is None:
            self._answer(404, {"error": f"no such path: {path}"})
            return
        if self.server.latency > 0:
            time.sleep(self.server.latency)
        n = int(match.group(1))
        self._answer(200, {"id": n, "name": f"item {n}", "price": round(n * 1.25, 2)})

    def _answer(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per request would cost more than the service itself


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args(argv)
    server = LatencyServer(args.port, args.latency_ms / 1000)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    print(f"listening on 127.0.0.1:{args.port}, latency {args.latency_ms:g} ms", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
