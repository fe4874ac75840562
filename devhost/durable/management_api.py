"""The Durable management HTTP API, as the extension's ``HttpApiHandler`` serves it.

Routes (under ``rpcBaseUrl`` and ``/runtime/webhooks/durabletask/``): ``orchestrators/{fn}/{id?}``,
``instances/{id?}/{operation?}``, ``instances/{id}/raiseEvent/{name}``,
``entities/{name}/{key?}``. Status codes and payloads are the ones the SDK's
``DurableOrchestrationClient`` expects; bodies the SDK double-encodes (start input, event data,
entity input) are decoded once and stored as JSON text. Unknown functions are refused with 400
and the extension's message naming the known ones.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from devhost.durable import admin
from devhost.durable.api_responses import (
    check_status_response,
    decode_once,
    error,
    json_response,
)
from devhost.durable.events import RuntimeStatus, parse_time
from devhost.durable.instance_ops import InstanceOps, wait_for_completion
from devhost.durable.raises import Raised
from devhost.durable.starts import InstanceExists
from devhost.durable.status_payload import parse_json_or_raw, status_time
from devhost.durable.store import DurableStore
from devhost.routing import Router

Handler = Callable[[web.Request, dict[str, str]], Awaitable[web.StreamResponse]]
# (kind, name) -> the host's message when no such function exists
FunctionCheck = Callable[[str, str], str | None]
_INVALID_ID_CHARS = set("/\\#?")
_BAD_ARGUMENTS = "One or more of the arguments submitted is incorrect"
_RAISE_STATUS = {Raised.QUEUED: 202, Raised.NO_INSTANCE: 404, Raised.FINISHED: 410}


def _statuses(request: web.Request) -> tuple[RuntimeStatus, ...]:
    names = ",".join(request.query.getall("runtimeStatus", [])).split(",")
    by_lower = {s.value.lower(): s for s in RuntimeStatus}
    return tuple(by_lower[n.strip().lower()] for n in names if n.strip().lower() in by_lower)


def instance_query(request: web.Request) -> admin.InstanceQuery:
    """The filters of a list or purge request."""

    def when(name: str) -> Any:
        value = request.query.get(name)
        return parse_time(value) if value else None

    return admin.InstanceQuery(
        when("createdTimeFrom"),
        when("createdTimeTo"),
        _statuses(request),
        request.query.get("instanceIdPrefix"),
    )


def _valid_instance_id(instance_id: str) -> bool:
    return not (
        instance_id.startswith("@")
        or len(instance_id) > 256
        or any(c in _INVALID_ID_CHARS or ord(c) < 32 for c in instance_id)
    )


class ManagementApi:
    """Handlers bound to one store and one app's function catalog."""

    def __init__(self, store: DurableStore, hub: str, check_function: FunctionCheck) -> None:
        self._store = store
        self._hub = hub
        self._check = check_function
        self._router: Router[Handler] = Router()
        self._router.add("orchestrators/{functionName}/{instanceId?}", None, self._start)
        self._router.add("entities/{entityName}/{entityKey?}", None, self._entity)
        self._router.add("instances/{instanceId}/raiseEvent/{eventName}", None, self._raise)
        self._router.add("instances/{instanceId?}/{operation?}", None, self._instances)

    async def handle(self, request: web.Request, path: str) -> web.StreamResponse:
        match = self._router.resolve(request.method, path)
        if match is None:
            return web.Response(status=404)
        try:
            return await match.target(request, match.params)
        except (ValueError, KeyError) as exc:
            return error(400, _BAD_ARGUMENTS, str(exc))

    # --- orchestrators ---------------------------------------------------------------------
    async def _start(self, request: web.Request, params: dict[str, str]) -> web.StreamResponse:
        if request.method != "POST":
            return web.Response(status=404)
        name = params["functionName"]
        problem = self._check("orchestrator", name)
        if problem:
            return error(400, _BAD_ARGUMENTS, problem)
        instance_id = params.get("instanceId") or uuid.uuid4().hex
        if not _valid_instance_id(instance_id):
            message = "Instance IDs must not start with @ nor contain /, \\, #, ? or controls"
            return error(400, _BAD_ARGUMENTS, message)
        input_text = decode_once(await request.text())
        try:
            await self._store.create_instance(
                name, instance_id, input_text, request.query.get("version") or ""
            )
        except InstanceExists as exc:
            return error(409, str(exc))
        return await self._respond_started(request, instance_id)

    async def _respond_started(self, request: web.Request, instance_id: str) -> web.Response:
        timeout, interval = request.query.get("timeout"), request.query.get("pollingInterval")
        if timeout and interval:
            record = await wait_for_completion(self._store, instance_id, float(timeout))
            if record is not None and record.status is RuntimeStatus.COMPLETED:
                return web.Response(text=record.output or "null", content_type="application/json")
        return check_status_response(request, self._hub, instance_id)

    # --- instances -------------------------------------------------------------------------
    async def _instances(self, request: web.Request, params: dict[str, str]) -> web.StreamResponse:
        ops = InstanceOps(self._store, self._hub)
        instance_id, operation = params.get("instanceId"), params.get("operation")
        routes: dict[str, Callable[[], Awaitable[web.StreamResponse]]]
        if instance_id is None:
            routes = {
                "GET": lambda: ops.list(request, instance_query(request)),
                "DELETE": lambda: ops.purge_where(instance_query(request)),
            }
        elif operation is None:
            routes = {
                "GET": lambda: ops.status(request, instance_id),
                "DELETE": lambda: ops.purge_one(instance_id),
            }
        else:
            routes = {"POST": lambda: ops.operate(request, instance_id, operation.lower())}
        route = routes.get(request.method)
        return await route() if route else web.Response(status=404)

    async def _raise(self, request: web.Request, params: dict[str, str]) -> web.StreamResponse:
        if request.method != "POST":
            return web.Response(status=404)
        instance_id, data = params["instanceId"], None
        if request.content_type.lower() != "application/json":
            problem = error(400, "Only application/json request content is supported")
        else:
            try:
                data, problem = decode_once(await request.text()), None
            except ValueError as exc:
                problem = error(400, _BAD_ARGUMENTS, str(exc))
        if problem is not None:  # an unknown or finished instance says so before a bad body
            return await self._gone(instance_id) or problem
        return web.Response(status=await self.raise_status(instance_id, params["eventName"], data))

    async def deliver(self, path: str, body: str) -> list[Any] | None:
        """A POST of ``body`` to ``path`` by the SDK's client in this process (see
        ``local_client``): an event raise is answered here (``[status, None]``, the SDK's
        reading of the empty answer); ``None`` sends anything else over HTTP."""
        match = self._router.resolve("POST", path)
        if match is None or match.target != self._raise:
            return None
        try:
            data = decode_once(body)
        except ValueError:  # the HTTP route says what is wrong with it
            return None
        params = match.params
        return [await self.raise_status(params["instanceId"], params["eventName"], data), None]

    async def raise_status(self, instance_id: str, name: str, data: str | None) -> int:
        """Raise event ``name`` carrying JSON text ``data``; the status the API answers: 202
        (queued), 404 (no such instance) or 410 (it finished). The in-process client calls this
        too (``deliver``)."""
        raised = await self._store.raise_event(instance_id, name, data)
        return _RAISE_STATUS[raised]

    async def _gone(self, instance_id: str) -> web.Response | None:
        record = await self._store.get_instance(instance_id)
        if record is None:
            return web.Response(status=404)
        return web.Response(status=410) if record.status.is_terminal else None

    # --- entities --------------------------------------------------------------------------
    async def _entity(self, request: web.Request, params: dict[str, str]) -> web.StreamResponse:
        name, key = params["entityName"], params.get("entityKey")
        problem = self._check("entity", name)
        if problem:
            return error(400, _BAD_ARGUMENTS, problem)
        entity_id = f"@{name.lower()}@{'' if key == '$' else key}"
        if key is None and request.method == "GET":
            rows = await self._store.list_entities(name)
            return json_response([_entity_row(r) for r in rows])
        if key is not None and request.method == "GET":
            return await self._read_entity(entity_id)
        if key is not None and request.method in ("POST", "DELETE"):
            await self._signal(request, entity_id)
            return web.Response(status=202)
        return web.Response(status=404)

    async def _read_entity(self, entity_id: str) -> web.Response:
        exists, state = await self._store.read_entity(entity_id)
        if not exists:
            return web.Response(status=404)
        return web.Response(text=state or "null", content_type="application/json")

    async def _signal(self, request: web.Request, entity_id: str) -> None:
        operation = "delete" if request.method == "DELETE" else request.query.get("op", "")
        raw = await request.text()
        if request.content_type == "application/json":
            data = decode_once(raw)
        else:
            data = json.dumps(raw) if raw else None
        await self._store.signal_entity(entity_id, operation, data)


def _entity_row(row: dict[str, Any]) -> dict[str, Any]:
    last = row["last_operation_at"]
    return {
        "entityId": {"name": row["name"], "key": row["key"]},
        "lastOperationTime": status_time(last) if last else None,
        "state": parse_json_or_raw(row["state"]),
    }
