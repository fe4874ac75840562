"""``python -m devhost start`` as a child process that tests can SIGKILL and restart."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
MANAGEMENT = "/runtime/webhooks/durabletask"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http(
    method: str,
    url: str,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    raw: bytes | None = None,
    timeout: float = 30.0,
) -> tuple[int, Any]:
    """(status, the JSON body or None; a non-JSON error body as text)."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as exc:
        text = exc.read()
        try:
            return exc.code, json.loads(text) if text else None
        except ValueError:
            return exc.code, text.decode("utf-8", "replace")


class DevhostProcess:
    """devhost for ``app`` on a free port, its store in ``schema``; ``settings`` are extra app
    settings in its environment, ``options`` extra ``devhost start`` options."""

    def __init__(
        self,
        app: Path,
        database_url: str,
        schema: str,
        log: Path,
        settings: Mapping[str, str] | None = None,
        options: Sequence[str] = (),
    ) -> None:
        self.port = free_port()
        self.schema = schema
        self.base = f"http://127.0.0.1:{self.port}"
        self._command = [
            sys.executable, "-m", "devhost", "start",
            "--app", str(app), "--port", str(self.port),
            "--database-url", database_url, "--store-schema", schema, *options,
        ]  # fmt: skip
        self._env = {**os.environ, "PYTHONPATH": str(REPO), **(settings or {})}
        self._log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 60.0, settings: Mapping[str, str] | None = None) -> None:
        """Start (again); ``settings`` are app settings for this run only."""
        env = {**self._env, **(settings or {})}
        with open(self._log, "ab") as log:
            self.process = subprocess.Popen(
                self._command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"devhost exited: see {self._log}")
            try:
                if http("GET", f"{self.base}{MANAGEMENT}/instances/?top=1")[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.05)
        raise AssertionError(f"devhost did not start: see {self._log}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
