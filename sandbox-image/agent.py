"""The session agent of the sandbox image: the dynamic-sessions data-plane API, inside a session.

A custom-container session pool forwards each request for a session (``?identifier=``) to its
container's target port. This agent answers the same endpoints the code-interpreter sessions
document, so the platform's client is one and the same:

- ``POST /files`` (multipart/form-data, one ``file`` part with a file name): store it in
  ``/mnt/data``;
- ``GET /files``: list them; ``GET /files/{name}/content``: download one;
- ``POST /executions`` ``{"codeInputType": "inline", "executionType": "synchronous", "code",
  "timeoutInSeconds"}``: run ``code`` with ``/bin/sh -c`` in ``/mnt/data`` and answer
  ``{"id", "identifier", "executionType", "status", "result": {"stdout", "stderr",
  "executionResult", "executionTimeInMilliseconds"}}``; ``executionResult`` is the exit status;
  past the timeout the process group is killed and the status is ``Failed`` with error code
  ``ExecutionTimeout``.

The session is a Hyper-V sandbox of its own, used for one run and then discarded by the pool;
the agent itself runs as an unprivileged user. Standard library only.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

DATA_DIR = Path(os.environ.get("SESSION_DATA_DIR", "/mnt/data"))
OUTPUT_LIMIT = 1024 * 1024
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,255}$")


def save_file(data_dir: Path, content_type: str, body: bytes) -> dict[str, Any]:
    """Store the ``file`` part of a multipart body; its metadata."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    for part in message.iter_parts():
        name = part.get_filename()
        if part.get_param("name", header="content-disposition") == "file" and name:
            if not _NAME.match(name) or name.startswith("."):
                raise ValueError(f"invalid file name {name!r}")
            data = part.get_payload(decode=True) or b""
            data_dir.mkdir(parents=True, exist_ok=True)
            (data_dir / name).write_bytes(data)
            return _metadata(data_dir / name)
    raise ValueError("no 'file' part with a file name")


def _metadata(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"name": path.name, "sizeInBytes": stat.st_size, "lastModifiedAt": stat.st_mtime}


def list_files(data_dir: Path) -> dict[str, Any]:
    files = sorted(p for p in data_dir.glob("*") if p.is_file()) if data_dir.is_dir() else []
    return {"value": [_metadata(p) for p in files]}


def read_file(data_dir: Path, name: str) -> bytes | None:
    path = data_dir / name
    if not _NAME.match(name) or not path.is_file():
        return None
    return path.read_bytes()


def execute(data_dir: Path, identifier: str, request: dict[str, Any]) -> dict[str, Any]:
    """Run the request's code; the execution resource."""
    if request.get("codeInputType", "inline").lower() != "inline":
        raise ValueError("codeInputType must be inline")
    if request.get("executionType", "synchronous").lower() != "synchronous":
        raise ValueError("executionType must be synchronous")
    timeout = float(request.get("timeoutInSeconds") or 60)
    data_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    process = subprocess.Popen(
        ["/bin/sh", "-c", str(request["code"])],
        cwd=data_dir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(data_dir), "LANG": "C.UTF-8"},
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        timed_out = True
    elapsed = int((time.monotonic() - started) * 1000)
    resource: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "identifier": identifier,
        "executionType": "Synchronous",
        "status": "Failed" if timed_out else "Succeeded",
        "result": {
            "stdout": stdout[-OUTPUT_LIMIT:].decode("utf-8", "replace"),
            "stderr": stderr[-OUTPUT_LIMIT:].decode("utf-8", "replace"),
            "executionResult": None if timed_out else str(process.returncode),
            "executionTimeInMilliseconds": elapsed,
        },
    }
    if timed_out:
        resource["error"] = {
            "error": {"code": "ExecutionTimeout", "message": f"timed out after {timeout:g} s"}
        }
    return resource


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Any
    body: bytes

    @property
    def identifier(self) -> str:
        return (self.query.get("identifier") or [""])[0]


def _download(data_dir: Path, call: Call, name: str) -> tuple[int, Any]:
    data = read_file(data_dir, unquote(name))
    if data is None:
        return 404, {"error": {"code": "FileNotFound", "message": "no such file"}}
    return 200, data


_ROUTES: list[tuple[str, str, Callable[..., tuple[int, Any]]]] = [
    ("POST", "/files", lambda d, c: (200, save_file(d, c.headers.get("content-type", ""), c.body))),
    ("GET", "/files", lambda d, c: (200, list_files(d))),
    ("GET", "/files/(?P<name>[^/]+)/content", _download),
    (
        "POST",
        "/executions",
        lambda d, c: (200, execute(d, c.identifier, json.loads(c.body or b"{}"))),
    ),
    ("GET", "/health", lambda d, c: (200, {"status": "ok"})),
]


def route(data_dir: Path, call: Call) -> tuple[int, Any]:
    """One request: (status, JSON-able body or bytes)."""
    for method, pattern, handler in _ROUTES:
        match = re.fullmatch(pattern, call.path)
        if method == call.method and match:
            try:
                return handler(data_dir, call, **match.groupdict())
            except (ValueError, KeyError, json.JSONDecodeError) as exc:
                return 400, {"error": {"code": "BadRequest", "message": str(exc)}}
    return 404, {
        "error": {"code": "NotFound", "message": f"no route for {call.method} {call.path}"}
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        call = Call(self.command, parts.path, parse_qs(parts.query), self.headers, body)
        status, reply = route(DATA_DIR, call)
        payload = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
        kind = "application/octet-stream" if isinstance(reply, bytes) else "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _serve


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()  # noqa: S104  # the pool's proxy


if __name__ == "__main__":
    main()
