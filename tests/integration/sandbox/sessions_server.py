"""A local session pool speaking the dynamic-sessions data-plane API, and a managed-identity
token endpoint (App Service style: ``IDENTITY_ENDPOINT`` + ``IDENTITY_HEADER``).

The pool front does what Azure's does for a custom-container pool: checks the bearer token and
``api-version``, routes by ``identifier`` to that session's own data directory, and forwards to
the container, here the image's own agent (``sandbox-image/agent.py``), so the test exercises
the client and the agent together. ``fail_next`` makes it answer the next requests with an
error status (401, 429, 503), as the service does when throttling or failing.
"""

from __future__ import annotations

import importlib.util
import json
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from shared.adapters.sandbox.dynamic_sessions import API_VERSION

REPO_ROOT = Path(__file__).resolve().parents[3]


def _agent() -> Any:
    spec = importlib.util.spec_from_file_location(
        "sandbox_agent", REPO_ROOT / "sandbox-image/agent.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class SessionPool:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.agent = _agent()
        self.identity_header = secrets.token_hex(16)
        self.token = secrets.token_urlsafe(24)
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.token_requests = 0
        self._failures: list[tuple[int, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def endpoint(self) -> str:
        return self.url + "/pool"

    def fail_next(self, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        with self._lock:
            self._failures.extend([(status, headers or {})] * times)

    def sessions(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir())

    def _answer(
        self, method: str, path: str, headers: Any, body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        if parts.path == "/msi/token":
            return self._token(headers, query)
        with self._lock:
            self.requests.append((method, parts.path, query))
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            return failure[0], {"error": {"code": "Injected", "message": "injected"}}, failure[1]
        refusal = self._refusal(headers, query)
        if refusal is not None:
            return 400 if refusal != "Unauthorized" else 401, {"error": {"code": refusal}}, {}
        identifier = query["identifier"][0]
        call = self.agent.Call(method, parts.path.removeprefix("/pool"), query, headers, body)
        status, reply = self.agent.route(self.root / identifier, call)
        return status, reply, {}

    def _token(self, headers: Any, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        if headers.get("x-identity-header") != self.identity_header:
            return 401, {"error": "bad identity header"}, {}
        self.token_requests += 1
        token = {
            "access_token": self.token,
            "expires_on": str(int(time.time()) + 3600),
            "resource": query.get("resource", [""])[0],
            "token_type": "Bearer",
        }
        return 200, token, {}

    def _refusal(self, headers: Any, query: dict[str, list[str]]) -> str | None:
        if headers.get("authorization") != f"Bearer {self.token}":
            return "Unauthorized"
        if query.get("api-version") != [API_VERSION]:
            return "InvalidApiVersion"
        identifier = query.get("identifier", [""])[0]
        if not identifier or "/" in identifier or identifier.startswith("."):
            return "InvalidIdentifier"
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        pool = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, reply, extra = pool._answer(self.command, self.path, self.headers, body)
                payload = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
                self.send_response(status)
                self.send_header(
                    "Content-Type",
                    "application/octet-stream" if isinstance(reply, bytes) else "application/json",
                )
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve

        return Handler

    @contextmanager
    def running(self) -> Iterator[SessionPool]:
        thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._httpd.shutdown()
            self._httpd.server_close()
            thread.join(timeout=5)
