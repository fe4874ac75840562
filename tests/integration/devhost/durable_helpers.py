"""Helpers for tests that drive devhost's Durable engine through the unmodified SDK client."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from azure.durable_functions import DurableOrchestrationClient, OrchestrationRuntimeStatus
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from devhost.testing import RunningDevhost

T = TypeVar("T")
FINISHED = {
    OrchestrationRuntimeStatus.Completed,
    OrchestrationRuntimeStatus.Failed,
    OrchestrationRuntimeStatus.Terminated,
}


def wait_until(probe: Callable[[], T | None], timeout_s: float = 30.0, what: str = "") -> T:
    """Poll ``probe`` until it returns something truthy (bounded; no timing assertions)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or probe}")
        time.sleep(0.02)


def status_of(
    host: RunningDevhost, client: DurableOrchestrationClient, instance_id: str, **options: bool
) -> DurableOrchestrationStatus:
    return host.run(client.get_status(instance_id, **options))


def wait_finished(
    host: RunningDevhost,
    client: DurableOrchestrationClient,
    instance_id: str,
    timeout_s: float = 30.0,
) -> DurableOrchestrationStatus:
    """The instance's status once it completed, failed or was terminated (with history)."""

    def probe() -> DurableOrchestrationStatus | None:
        status = status_of(host, client, instance_id, show_history=True, show_history_output=True)
        return status if status.runtime_status in FINISHED else None

    return wait_until(probe, timeout_s, f"instance {instance_id} to finish")


def wait_status(
    host: RunningDevhost,
    client: DurableOrchestrationClient,
    instance_id: str,
    wanted: OrchestrationRuntimeStatus,
) -> DurableOrchestrationStatus:
    def probe() -> DurableOrchestrationStatus | None:
        status = status_of(host, client, instance_id)
        return status if status.runtime_status == wanted else None

    return wait_until(probe, what=f"instance {instance_id} to be {wanted.value}")
