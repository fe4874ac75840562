"""Event raises by the SDK client, in process and over HTTP, answer alike.

The SDK client built from devhost's binding raises events without an HTTP round trip
(``devhost.durable.local_client``): these tests take the SDK's HTTP session away, so a raise
that still went over HTTP fails, while a start (not served in process) does. The management
API's HTTP route keeps its answers (202, 404, 410, and 400 for a body that is not JSON, after
404/410), and a batch of concurrent raises queues every event.
"""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from azure.durable_functions import DurableOrchestrationClient, OrchestrationRuntimeStatus
from azure.durable_functions.models.utils import http_utils

from devhost.testing import RunningDevhost
from tests.integration.devhost.durable_helpers import wait_finished, wait_status


@pytest.fixture
def client(durable_host: RunningDevhost) -> DurableOrchestrationClient:
    return DurableOrchestrationClient(durable_host.client_binding())


@contextmanager
def http_refused() -> Iterator[None]:
    """While inside, the SDK's HTTP session is gone: a call that goes over HTTP raises."""

    async def refused() -> None:
        raise ConnectionRefusedError("the SDK's HTTP session is not available here")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(http_utils, "_get_session", refused)
        yield


def started_waiter(host: RunningDevhost, client: DurableOrchestrationClient) -> str:
    instance_id: str = host.run(client.start_new("waiter", None, None))
    wait_status(host, client, instance_id, OrchestrationRuntimeStatus.Running)
    return instance_id


def test_other_calls_still_go_over_http(durable_host, client):
    with http_refused(), pytest.raises(ConnectionRefusedError):
        durable_host.run(client.start_new("waiter", None, None))


def test_a_raise_in_process_completes_and_answers_gone_and_unknown(durable_host, client):
    instance_id = started_waiter(durable_host, client)
    with http_refused():
        durable_host.run(client.raise_event(instance_id, "go", "Oslo"))
    assert wait_finished(durable_host, client, instance_id).output == "Hello Oslo!"
    with http_refused():
        with pytest.raises(Exception, match="is gone"):
            durable_host.run(client.raise_event(instance_id, "go", "again"))
        with pytest.raises(Exception, match="No instance with ID nobody found"):
            durable_host.run(client.raise_event("nobody", "go", 1))


def test_concurrent_raises_each_reach_their_instance(durable_host, client):
    ids = [started_waiter(durable_host, client) for _ in range(5)]

    async def raise_all() -> None:
        await asyncio.gather(*(client.raise_event(i, "go", f"n{n}") for n, i in enumerate(ids)))

    durable_host.run(raise_all())
    outputs = [wait_finished(durable_host, client, i).output for i in ids]
    assert outputs == [f"Hello n{n}!" for n in range(5)]


def _post(url: str, body: bytes, content_type: str) -> int:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_http_route_answers_as_before(durable_host, client):
    base = f"{durable_host.base_url}/runtime/webhooks/durabletask/instances"
    instance_id = started_waiter(durable_host, client)
    assert _post(f"{base}/nobody/raiseEvent/go", b"{}", "text/plain") == 404
    assert _post(f"{base}/{instance_id}/raiseEvent/go", b"x", "text/plain") == 400
    assert _post(f"{base}/{instance_id}/raiseEvent/go", b"{oops", "application/json") == 400
    assert _post(f"{base}/nobody/raiseEvent/go", b'"Rome"', "application/json") == 404
    assert _post(f"{base}/{instance_id}/raiseEvent/go", b'"Rome"', "application/json") == 202
    assert wait_finished(durable_host, client, instance_id).output == "Hello Rome!"
    assert _post(f"{base}/{instance_id}/raiseEvent/go", b"x", "text/plain") == 410
    assert _post(f"{base}/{instance_id}/raiseEvent/go", b'"Rome"', "application/json") == 410


def test_a_raise_does_not_wait_for_the_workers_connections(durable_host, client):
    """Starts and raises have connections of their own: with every connection of the workers'
    pool taken (episodes hold theirs while orchestrators replay), a raise still commits."""
    instance_id = started_waiter(durable_host, client)
    pool = durable_host.host.store.pool

    async def raise_with_the_pool_taken() -> None:
        taken = [await pool.getconn() for _ in range(pool.max_size)]
        try:
            await asyncio.wait_for(client.raise_event(instance_id, "go", "Lisbon"), 60)
        finally:
            for conn in taken:
                await pool.putconn(conn)

    durable_host.run(raise_with_the_pool_taken())
    assert wait_finished(durable_host, client, instance_id).output == "Hello Lisbon!"
