"""Running a batch of entity operations through the SDK's entity ``handle``.

The entity function receives ``{"self": {name, key}, "exists", "state": "<json>", "batch":
[{"name", "input"}]}`` (each operation input is JSON text encoded once more, as the extension
sends it) and returns ``{entityExists, entityState, results, signals}``. Every call (not signal)
gets a response event named after its request id, addressed to the calling execution, carrying
``{"result": "<json>"}`` plus ``exceptionType`` when the operation raised. If the whole batch
fails (the function is missing or ``handle`` itself raises) every call gets an error response
and the state is left unchanged.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import azure.functions as func

from devhost.durable.events import EventType, format_time, new_event, utc_now
from devhost.durable.model import ENTITY, ORCHESTRATION, EntityOutcome, EntityWork, OutMessage
from devhost.invoker import Invoker
from devhost.loader import FunctionKind, LoadedApp

log = logging.getLogger("devhost.entities")


def _request(event: dict[str, Any]) -> dict[str, Any]:
    try:
        request = json.loads(event.get("Input") or "{}")
    except json.JSONDecodeError:
        return {}
    return request if isinstance(request, dict) else {}


def _respond(request: dict[str, Any], result: str, error: bool) -> list[OutMessage]:
    if request.get("signal") or not request.get("parent") or not request.get("id"):
        return []
    body: dict[str, Any] = {"result": result}
    if error:
        body["exceptionType"] = "System.Exception"
    event = new_event(
        EventType.EVENT_RAISED, format_time(utc_now()), Name=request["id"], Input=json.dumps(body)
    )
    return [OutMessage(request["parent"], ORCHESTRATION, event, request.get("parentExecution"))]


def _signal(signal: dict[str, Any]) -> OutMessage:
    target = signal.get("target") or {}
    entity_id = f"@{str(target.get('name', '')).lower()}@{target.get('key', '')}"
    request = {"id": signal.get("id") or "", "op": signal.get("name"), "signal": True}
    request["input"] = signal.get("input")
    event = new_event(
        EventType.EVENT_RAISED, format_time(utc_now()), Name="op", Input=json.dumps(request)
    )
    return OutMessage(entity_id, ENTITY, event)


class EntityRunner:
    """Runs one entity's pending operations as one batch."""

    def __init__(self, app: LoadedApp, invoker: Invoker) -> None:
        self._app = app
        self._invoker = invoker

    async def run(self, work: EntityWork) -> EntityOutcome:
        entity = work.entity
        consumed = [m.id for m in work.messages]
        requests = [_request(m.event) for m in work.messages]
        unchanged = EntityOutcome(consumed, entity.exists, entity.state)
        function = self._app.durable(FunctionKind.ENTITY, entity.name)
        if function is None:
            return self._fail_all(unchanged, requests, f"no entity function '{entity.name}'")
        batch = [
            {
                "name": r.get("op"),
                "input": None if r.get("input") is None else json.dumps(r["input"]),
            }
            for r in requests
        ]
        payload = {
            "self": {"name": entity.name, "key": entity.key},
            "exists": entity.exists,
            "state": entity.state,
            "batch": batch,
        }
        context = func.EntityContext(json.dumps(payload))
        try:
            returned = await self._invoker.call(function, {function.trigger_param: context})
            result = json.loads(returned)
            results = result["results"]
        except Exception as exc:
            log.warning("entity %s batch failed: %s", entity.entity_id, exc)
            return self._fail_all(unchanged, requests, f"{type(exc).__name__}: {exc}")
        exists = bool(result.get("entityExists"))
        outcome = EntityOutcome(consumed, exists, result.get("entityState") if exists else None)
        for request, answer in zip(requests, results, strict=False):
            outcome.messages += _respond(request, answer.get("result"), bool(answer.get("isError")))
        outcome.messages += [_signal(s) for s in result.get("signals") or []]
        return outcome

    @staticmethod
    def _fail_all(
        outcome: EntityOutcome, requests: list[dict[str, Any]], reason: str
    ) -> EntityOutcome:
        for request in requests:
            outcome.messages += _respond(request, json.dumps(reason), True)
        return outcome
