"""A local HTTP server playing a provider's side of the wire: scripted replies, recorded requests.

Tests point the real SDKs at it (127.0.0.1, a free port) and assert on what arrived. A reply can
hang (``delay_s``) to exercise client timeouts; hung handlers wake up when the server stops.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Reply:
    """What the server answers: a JSON-able ``body`` or raw bytes, after ``delay_s`` seconds or,
    with ``hold``, once the test sets that event."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    hold: threading.Event | None = None

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return b"" if self.body is None else json.dumps(self.body).encode()


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class WireServer:
    """Replies are queued per (method, path), or per (method, path, Authorization header) for
    callers ``on(..., authorization=...)`` singles out; the last one of a queue repeats."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._replies: dict[tuple[str, str, str | None], list[Reply]] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def on(self, method: str, path: str, *replies: Reply, authorization: str | None = None) -> None:
        with self._lock:
            self._replies[(method, path, authorization)] = list(replies)

    def requests_to(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]

    def _next(self, method: str, path: str, authorization: str | None) -> Reply:
        with self._lock:
            queue = self._replies.get((method, path, authorization)) or self._replies.get(
                (method, path, None)
            )
            if not queue:
                return Reply(404, {"error": f"no reply scripted for {method} {path}"})
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with server._lock:
                    server.received.append(
                        Received(
                            self.command,
                            parts.path,
                            parse_qs(parts.query),
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                        )
                    )
                reply = server._next(self.command, parts.path, self.headers.get("Authorization"))
                if reply.delay_s and server._closing.wait(reply.delay_s):
                    return
                while reply.hold is not None and not reply.hold.wait(0.05):
                    if server._closing.is_set():
                        return
                payload = reply.payload()
                try:
                    self.send_response(reply.status)
                    headers = {"Content-Type": "application/json", **reply.headers}
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    return

            do_GET = do_POST = do_DELETE = _serve

        return Handler

    def start(self) -> WireServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@contextmanager
def wire_server() -> Iterator[WireServer]:
    server = WireServer().start()
    try:
        yield server
    finally:
        server.stop()
