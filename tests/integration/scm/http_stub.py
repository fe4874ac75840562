"""A local HTTP server (127.0.0.1, started by the test) for the SaaS adapters' tests.

Each vendor's emulator (``github_server``, ``gitlab_server``, ``azure_devops_server``) routes
requests to handlers that keep a small in-memory forge and answer with bodies shaped like the
vendor's REST docs. The server records every request (method, path, query, headers, body) so
tests can check what the real SDK sent, and can be told to fail the next matching requests.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Request:
    method: str
    raw_path: str  # still percent-encoded, as sent
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def path(self) -> str:
        return unquote(self.raw_path)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class HttpError(Exception):
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.reply = Reply(status, body, headers or {})


Handler = Callable[..., Reply]


class Router:
    """Regex routes over the raw path: ``@router.route("GET", r"/repos/(?P<o>[^/]+)")``."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(pattern + r"$"), handler))

    def dispatch(self, request: Request) -> Reply:
        for method, pattern, handler in self._routes:
            match = pattern.match(request.raw_path)
            if match and method == request.method:
                try:
                    return handler(request, **{k: unquote(v) for k, v in match.groupdict().items()})
                except HttpError as exc:
                    return exc.reply
        return Reply(404, {"message": f"stub: no route for {request.method} {request.raw_path}"})


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern[str]
    reply: Reply
    times: int


class StubServer:
    def __init__(self, route: Callable[[Request], Reply]) -> None:
        self._route = route
        self.requests: list[Request] = []
        self._failures: list[_Failure] = []
        self.crashes: list[Exception] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._httpd.daemon_threads = True

    @property
    def url(self) -> str:
        """Known from construction (the port is bound then); requests are served while
        ``running()``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail(
        self,
        method: str,
        path_pattern: str,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests matching with ``status`` instead of routing them."""
        with self._lock:
            self._failures.append(
                _Failure(
                    method, re.compile(path_pattern), Reply(status, body, headers or {}), times
                )
            )

    def calls(self, method: str | None = None, pattern: str = "") -> list[Request]:
        regex = re.compile(pattern)
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and regex.search(r.path)
            ]

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def handle(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            for failure in self._failures:
                if failure.method == request.method and failure.pattern.search(request.path):
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
                    return failure.reply
        return self._route(request)

    @contextmanager
    def running(self) -> Iterator[StubServer]:
        thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        try:
            yield self
            assert not self.crashes, f"the emulator crashed: {self.crashes!r}"
        finally:
            self._httpd.shutdown()
            self._httpd.server_close()
            thread.join(timeout=5)


def _handler_class(server: StubServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = Request(
                self.command,
                parts.path,
                parse_qs(parts.query, keep_blank_values=True),
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
            try:
                reply = server.handle(request)
            except Exception as exc:  # a bug in an emulator: make it loud, as a 500
                reply = Reply(500, {"message": f"stub crashed: {exc!r}"})
                server.crashes.append(exc)
            if isinstance(reply.body, bytes):
                payload, ctype = reply.body, "application/octet-stream"
            elif reply.body is None:
                payload, ctype = b"", "application/json"
            else:
                payload, ctype = json.dumps(reply.body).encode(), "application/json"
            self.send_response(reply.status)
            for name, value in {"Content-Type": ctype, **reply.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    return _Handler
