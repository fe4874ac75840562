"""A collector on loopback, and a way to run telemetry code in a fresh Python process.

OpenTelemetry's global providers can be set once per process, so every configuration is
exercised in a subprocess; the collector records what its exporters send.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Collector:
    url: str
    received: list[Received] = field(default_factory=list)

    def bodies(self, path: str) -> list[bytes]:
        return [r.body for r in self.received if r.path == path]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _CollectorServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        path = self.path.split("?", 1)[0]
        self.server.collector.received.append(Received(path, dict(self.headers), body))
        if path.endswith("/track"):  # Application Insights ingestion: a JSON summary
            items = len(json.loads(body)) if body.startswith(b"[") else 1
            reply = json.dumps(
                {"itemsReceived": items, "itemsAccepted": items, "errors": []}
            ).encode()
            content_type = "application/json"
        else:  # OTLP/HTTP: an empty Export*ServiceResponse
            reply, content_type = b"", "application/x-protobuf"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


class _CollectorServer(ThreadingHTTPServer):
    daemon_threads = True
    collector: Collector


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = _CollectorServer(("127.0.0.1", 0), _Handler)
    server.collector = Collector(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    yield server.collector
    server.shutdown()
    server.server_close()
    thread.join()


def run_python(script: str, **env: str) -> dict[str, Any]:
    """Run ``script`` in a fresh interpreter at the repo root; it prints one JSON line last."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "APPLICATIONINSIGHTS_", "PYTHONPATH"))
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env={**clean, "PYTHONPATH": str(REPO_ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))
