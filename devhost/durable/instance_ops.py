"""Handlers for ``instances/...``: status, listing, purge and the lifecycle operations.

Status is 202 (with ``Location`` and ``Retry-After: 5``) while the instance runs, 200 when it
finished (500 for a failure with ``returnInternalServerErrorOnFailure=true``), 404 when unknown.
Terminate, suspend and resume answer 202, 410 for a finished instance, 404 for an unknown one.
Purge refuses unfinished instances (412). Restart answers 202 with the new instance id as a JSON
string, the value the SDK's ``restart`` returns.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from aiohttp import web

from devhost.durable import admin
from devhost.durable.api_responses import error, flag, json_response
from devhost.durable.events import EventType, RuntimeStatus, format_time, new_event, utc_now
from devhost.durable.model import InstanceRecord
from devhost.durable.starts import InstanceExists
from devhost.durable.status_payload import render_history, status_payload
from devhost.durable.store import DurableStore

DEFAULT_PAGE_SIZE = 100
_CONTROL = {
    "terminate": EventType.EXECUTION_TERMINATED,
    "suspend": EventType.EXECUTION_SUSPENDED,
    "resume": EventType.EXECUTION_RESUMED,
}


async def wait_for_completion(
    store: DurableStore, instance_id: str, timeout_s: float, interval_s: float = 0.1
) -> InstanceRecord | None:
    """The instance once finished, or as it is when ``timeout_s`` runs out."""
    deadline = time.monotonic() + timeout_s
    while True:
        record = await store.get_instance(instance_id)
        if record is None or record.status.is_terminal or time.monotonic() >= deadline:
            return record
        await asyncio.sleep(min(interval_s, max(0.0, deadline - time.monotonic())))


class InstanceOps:
    def __init__(self, store: DurableStore, hub: str) -> None:
        self._store = store
        self._hub = hub

    async def status(self, request: web.Request, instance_id: str) -> web.Response:
        record = await self._store.get_instance(instance_id)
        if record is None:
            return web.Response(status=404)
        history = None
        if flag(request, "showHistory", False) and record.status is not RuntimeStatus.PENDING:
            events = await self._store.get_history(instance_id)
            history = render_history(events, show_output=flag(request, "showHistoryOutput", False))
        body = status_payload(record, show_input=flag(request, "showInput", True), history=history)
        if not record.status.is_terminal:
            headers = {"Location": str(request.url), "Retry-After": "5"}
            return json_response(body, 202, **headers)
        failed_500 = flag(request, "returnInternalServerErrorOnFailure", False)
        code = 500 if record.status is RuntimeStatus.FAILED and failed_500 else 200
        return json_response(body, code)

    async def list(self, request: web.Request, query: admin.InstanceQuery) -> web.Response:
        top = int(request.query.get("top") or DEFAULT_PAGE_SIZE)
        token = request.headers.get("x-ms-continuation-token") or None
        records, following = await admin.list_instances(self._store, query, top, token)
        show_input = flag(request, "showInput", True)
        body = [status_payload(r, show_input=show_input) for r in records]
        headers = {"x-ms-continuation-token": following} if following else {}
        return json_response(body, 200, **headers)

    async def purge_one(self, instance_id: str) -> web.Response:
        record = await self._store.get_instance(instance_id)
        if record is None:
            return web.Response(status=404)
        if not record.status.is_terminal:
            return error(
                412,
                "Only orchestrations in a terminal state can be purged, but the orchestration "
                f"with instance ID {instance_id} has status {record.status}",
            )
        deleted = await admin.purge(self._store, [instance_id])
        return json_response({"instancesDeleted": deleted})

    async def purge_where(self, query: admin.InstanceQuery) -> web.Response:
        if query.created_from is None:
            return json_response("Please provide value for 'createdTimeFrom' parameter.", 400)
        deleted = await admin.purge_finished(self._store, query)
        if deleted == 0:
            return web.Response(status=404)
        return json_response({"instancesDeleted": deleted})

    async def operate(
        self, request: web.Request, instance_id: str, operation: str
    ) -> web.StreamResponse:
        record = await self._store.get_instance(instance_id)
        reason = request.query.get("reason") or ""
        if operation in _CONTROL:
            if record is None:
                return web.Response(status=404)
            if record.status.is_terminal:
                return web.Response(status=410)
            field = "Input" if operation == "terminate" else "Reason"
            stamp = format_time(utc_now())
            event = new_event(_CONTROL[operation], stamp)
            event[field] = reason
            await self._store.send(instance_id, event, control=True)
            return web.Response(status=202)
        if operation == "rewind":
            return await self._rewind(record, instance_id, reason)
        if operation == "restart":
            return await self._restart(request, record, instance_id)
        return web.Response(status=404)

    async def _rewind(
        self, record: InstanceRecord | None, instance_id: str, reason: str
    ) -> web.Response:
        if record is None:
            return json_response(f'No orchestration with instance ID "{instance_id}" found.', 404)
        try:
            await admin.rewind(self._store, instance_id, reason)
        except admin.NotRewindable:
            return json_response(
                f"This orchestration has status {record.status}, but only orchestrations in "
                'the "Failed" state can be rewound.',
                412,
            )
        return web.Response(status=202)

    async def _restart(
        self, request: web.Request, record: InstanceRecord | None, instance_id: str
    ) -> web.Response:
        if record is None:
            return web.Response(status=404)
        new_id = (
            uuid.uuid4().hex if flag(request, "restartWithNewInstanceId", True) else instance_id
        )
        try:
            await self._store.create_instance(record.name, new_id, record.input, record.version)
        except InstanceExists as exc:
            return error(
                409, "A non-terminal instance with this instance ID already exists.", str(exc)
            )
        return json_response(new_id, 202)
