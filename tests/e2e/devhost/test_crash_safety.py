"""Crash safety: SIGKILL devhost at random points while 20 orchestrations run.

``python -m devhost start`` runs as a subprocess; it is killed with SIGKILL several times while
the orchestrations are in flight and restarted on the same store. Each kill lands while
activities are running: the fixture app's N-th ``step`` call (N random) signals that it started
and blocks until its host is killed; the restarted host re-runs it once its lease expired. Every
orchestration must then complete exactly once (one ExecutionCompleted, one TaskScheduled and one
completion per sequence id) with the same output as an undisturbed run. Activities may run more
than once (at-least-once), which is why the fixture's steps are deterministic.
"""

from __future__ import annotations

import json
import random
import secrets
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devhost.durable.events import EventType
from devhost.durable.store import DurableStore
from devhost.testing import run_on_host_loop, started_devhost
from tests.support.devhost_process import DevhostProcess

REPO = Path(__file__).resolve().parents[3]
APP = REPO / "tests" / "fixtures" / "apps" / "crash_app"
WEBHOOK = "/runtime/webhooks/durabletask"
INSTANCES = 20
KILLS = 4
LEASE_S = 1.0


def http(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(json.dumps(body)).encode()
    headers = {"Content-Type": "application/json"} if data else {}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw.strip() else None
    except urllib.error.HTTPError as exc:
        return exc.code, None


@pytest.fixture
def devhost_process(database_url: str, tmp_path: Path) -> Iterator[DevhostProcess]:
    process = DevhostProcess(
        APP,
        database_url,
        f"crash_{secrets.token_hex(4)}",
        tmp_path / "log",
        options=["--activity-lease-seconds", str(LEASE_S)],
    )
    yield process
    process.stop()


def undisturbed_outputs(database_url: str, seeds: dict[str, int]) -> dict[str, Any]:
    """The outputs of the same orchestrations on a devhost nobody kills."""
    schema = f"calm_{secrets.token_hex(4)}"
    with started_devhost(APP, database_url, schema=schema) as host:
        for instance_id, seed in seeds.items():
            http("POST", f"{host.base_url}{WEBHOOK}/orchestrators/pipeline/{instance_id}", seed)
        return {i: finished_status(host.base_url, i)["output"] for i in seeds}


def finished_status(base: str, instance_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status, body = http("GET", f"{base}{WEBHOOK}/instances/{instance_id}")
        if status == 200:
            return body
        time.sleep(0.05)
    raise AssertionError(f"{instance_id} did not finish")


def assert_exactly_once(history: list[dict[str, Any]]) -> None:
    kinds = Counter(EventType(e["EventType"]) for e in history)
    assert kinds[EventType.EXECUTION_STARTED] == 1
    assert kinds[EventType.EXECUTION_COMPLETED] == 1
    scheduled = [e["EventId"] for e in history if e["EventType"] == EventType.TASK_SCHEDULED]
    done = [e["TaskScheduledId"] for e in history if e["EventType"] == EventType.TASK_COMPLETED]
    assert sorted(scheduled) == list(range(7))
    assert sorted(done) == list(range(7))


def wait_for_file(path: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


@pytest.mark.slow
def test_sigkill_while_activities_run_loses_and_duplicates_nothing(
    devhost_process, database_url, tmp_path
):
    rng = random.Random()
    seed = rng.randrange(1 << 30)
    rng.seed(seed)
    seeds = {f"crash-{i}-{secrets.token_hex(3)}": rng.randrange(100) for i in range(INSTANCES)}
    expected = undisturbed_outputs(database_url, seeds)

    def blocking(run: int) -> dict[str, str] | None:
        """Settings that make run ``run``'s N-th step block (none for the last run). At most
        12 calls per run leaves calls to block on: 20 instances make 80 step calls."""
        if run == KILLS:
            return None
        gate = tmp_path / f"gate-{run}"
        gate.mkdir()
        return {"CRASH_GATE": str(gate), "CRASH_BLOCK_AT": str(rng.randint(1, 12))}

    devhost_process.start(settings=blocking(0))
    for instance_id, value in seeds.items():
        url = f"{devhost_process.base}{WEBHOOK}/orchestrators/pipeline/{instance_id}"
        assert http("POST", url, value)[0] == 202
    for run in range(KILLS):
        wait_for_file(tmp_path / f"gate-{run}" / "started")  # a step is running, blocked
        time.sleep(rng.uniform(0.0, 0.2))
        devhost_process.kill()
        devhost_process.start(settings=blocking(run + 1))

    outputs = {i: finished_status(devhost_process.base, i) for i in seeds}
    assert {i: o["runtimeStatus"] for i, o in outputs.items()} == dict.fromkeys(seeds, "Completed")
    assert {i: o["output"] for i, o in outputs.items()} == expected, f"random seed {seed}"

    store = DurableStore(database_url, devhost_process.schema, max_connections=2)

    async def histories() -> dict[str, list[dict[str, Any]]]:
        await store.open()
        try:
            return {i: await store.get_history(i) for i in seeds}
        finally:
            await store.close()

    for history in run_on_host_loop(histories()).values():
        assert_exactly_once(history)
