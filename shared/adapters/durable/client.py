"""``Orchestrations`` over the Durable Functions client binding (``DurableOrchestrationClient``).

The SDK reports most failures as a bare ``Exception`` (or aiohttp errors); they become
``Unavailable``. Whether an instance exists is read from ``get_status`` (``runtime_status`` is
``None`` for an unknown instance).

A started orchestration's input carries the trace context of the span that started it (under
``tracing.TRACE_KEY``; in the task dict for patch_flow, whose input is the task): the
orchestration's and its activities' spans join the webhook's trace.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from shared.domain.errors import NotFound, Unavailable
from shared.ports.orchestrations import Orchestrations

_FINISHED = {
    df.OrchestrationRuntimeStatus.Completed,
    df.OrchestrationRuntimeStatus.Failed,
    df.OrchestrationRuntimeStatus.Terminated,
    df.OrchestrationRuntimeStatus.Canceled,
}


class DurableOrchestrations(Orchestrations):
    """One per request: the client binding is per invocation."""

    def __init__(self, client: df.DurableOrchestrationClient) -> None:
        self._client = client

    async def start(self, flow: str, instance_id: str, payload: dict[str, Any]) -> None:
        from shared.telemetry.tracing import TRACE_KEY, orchestration_carrier

        carrier = orchestration_carrier()
        if carrier is not None:
            payload = {**payload, TRACE_KEY: carrier}
        try:
            await self._client.start_new(flow, instance_id, payload)
        except Exception as exc:
            raise Unavailable(f"could not start {flow} {instance_id}: {exc}") from exc

    async def _status(self, instance_id: str) -> df.OrchestrationRuntimeStatus | None:
        try:
            status = await self._client.get_status(instance_id)
        except Exception as exc:
            raise Unavailable(f"could not read instance {instance_id}: {exc}") from exc
        runtime: df.OrchestrationRuntimeStatus | None = status.runtime_status
        return runtime

    async def exists(self, instance_id: str) -> bool:
        return await self._status(instance_id) is not None

    async def status(self, instance_id: str) -> str | None:
        runtime = await self._status(instance_id)
        return None if runtime is None else str(runtime.value)

    async def terminate(self, instance_id: str, reason: str) -> None:
        status = await self._status(instance_id)
        if status is None or status in _FINISHED:
            return
        try:
            await self._client.terminate(instance_id, reason)
        except Exception as exc:
            raise Unavailable(f"could not terminate {instance_id}: {exc}") from exc

    async def raise_event(self, instance_id: str, name: str, data: dict[str, Any]) -> None:
        try:
            await self._client.raise_event(instance_id, name, data)
        except Exception as exc:
            status = await self._status(instance_id)
            if status is None or status in _FINISHED:
                raise NotFound(
                    f"instance {instance_id!r} is not running", code="instance-not-running"
                ) from exc
            raise Unavailable(f"could not raise {name} on {instance_id}: {exc}") from exc
