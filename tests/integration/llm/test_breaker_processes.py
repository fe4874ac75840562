"""The circuit breaker is shared by separate processes through PostgreSQL: it opens, rejects fast
while open, lets one probe through after the cool-down, and closes on the probe's success."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from shared.adapters.llm.postgres import PostgresCircuitStore
from shared.domain.llm_hub import CircuitStatus
from tests.conftest import REPO_ROOT
from tests.integration.llm.conftest import forget_circuits
from tests.integration.llm.test_provider_wire import OPENAI_OK, openai_error
from tests.integration.llm.wire import Reply, WireServer, wire_server

WORKER = Path(__file__).with_name("breaker_worker.py")
PATH = "/v1/chat/completions"


class Worker:
    def __init__(self, *args: str, log: Path) -> None:
        self._log = log
        self._stderr: IO[bytes] = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), *args],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )

    def read(self, timeout: float = 60) -> dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        assert line, f"worker said nothing; stderr:\n{self._log.read_text()}"
        return json.loads(line)  # type: ignore[no-any-return]

    def send(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("call\n")
        self.proc.stdin.flush()

    def call(self) -> dict[str, Any]:
        self.send()
        return self.read()

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()


@pytest.fixture
def server() -> Iterator[WireServer]:
    with wire_server() as running:
        yield running


@pytest.fixture
def workers(db, database_url, new_tenant, server, tmp_path) -> Iterator[tuple[Worker, Worker]]:
    forget_circuits(db)
    tenant = new_tenant("breaker").slug
    args = (database_url, str(tmp_path), tenant, f"{server.url}/v1")
    a, b = (Worker(*args, log=tmp_path / f"{name}.log") for name in "ab")
    try:
        assert a.read() == {"ready": True} and b.read() == {"ready": True}
        yield a, b
    finally:
        a.stop()
        b.stop()


def test_two_processes_share_one_circuit(db, server: WireServer, workers) -> None:
    a, b = workers
    store = PostgresCircuitStore(db)
    endpoint = f"openai {server.url}/v1"
    server.on("POST", PATH, Reply(500, openai_error("The server had an error.", "server_error")))

    assert [a.call()["outcome"] for _ in range(3)] == ["llm-unavailable"] * 3
    assert len(server.requests_to(PATH)) == 3
    assert store.get(endpoint).status is CircuitStatus.OPEN

    refused = b.call()  # the other process sees the open circuit: fast, nothing sent
    assert refused["outcome"] == "circuit-open" and refused["elapsed"] < 2.0  # timeout: 5 s
    assert len(server.requests_to(PATH)) == 3

    probe_held = threading.Event()
    server.on("POST", PATH, Reply(200, OPENAI_OK, hold=probe_held), Reply(200, OPENAI_OK))
    time.sleep(1.1)  # the cool-down
    b.send()  # b's call is the half-open probe; the server holds it until told
    deadline = time.monotonic() + 10
    while len(server.requests_to(PATH)) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert store.get(endpoint).status is CircuitStatus.HALF_OPEN
    assert a.call()["outcome"] == "circuit-open"  # one probe at a time, across processes

    probe_held.set()
    assert b.read()["outcome"] == "ok"
    assert store.get(endpoint).status is CircuitStatus.CLOSED
    assert a.call()["outcome"] == "ok"
    assert len(server.requests_to(PATH)) == 5
