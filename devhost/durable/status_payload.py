"""Status payloads of the management API, shaped as the Durable extension shapes them.

``input``, ``output`` and ``customStatus`` are parsed JSON (raw text when the stored value is not
JSON, as a termination reason); times use the ``s`` format plus ``Z``. With ``showHistory`` the
history is rendered as ``DurableClient`` renders it: ``EventType`` as a name, OrchestratorStarted
and OrchestratorCompleted left out, every TaskScheduled (SubOrchestrationInstanceCreated) merged
into its completion as ``FunctionName`` and ``ScheduledTime``, outputs only with
``showHistoryOutput``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from devhost.durable.events import Event, EventType, event_name
from devhost.durable.model import InstanceRecord


def parse_json_or_raw(text: str | None) -> Any:
    if text is None:
        return None
    stripped = text.strip()
    if not stripped:
        return ""
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        return stripped


def status_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") + "Z"


def status_payload(
    record: InstanceRecord, *, show_input: bool = True, history: list[Any] | None = None
) -> dict[str, Any]:
    return {
        "name": record.name,
        "instanceId": record.instance_id,
        "runtimeStatus": str(record.status),
        "input": parse_json_or_raw(record.input) if show_input else None,
        "customStatus": parse_json_or_raw(record.custom_status),
        "output": parse_json_or_raw(record.output),
        "createdTime": status_time(record.created_at),
        "lastUpdatedTime": status_time(record.updated_at),
        "historyEvents": history,
    }


_SCHEDULING = {
    EventType.TASK_SCHEDULED: (EventType.TASK_COMPLETED, EventType.TASK_FAILED),
    EventType.SUB_ORCHESTRATION_CREATED: (
        EventType.SUB_ORCHESTRATION_COMPLETED,
        EventType.SUB_ORCHESTRATION_FAILED,
    ),
}
_COMPLETED_WITH_OUTPUT = (
    EventType.TASK_COMPLETED,
    EventType.SUB_ORCHESTRATION_COMPLETED,
    EventType.EXECUTION_COMPLETED,
)


# fields DurableClient removes from each event type's rendering
_DROPPED: dict[EventType, tuple[str, ...]] = {
    EventType.TASK_SCHEDULED: ("Version", "Input"),
    EventType.SUB_ORCHESTRATION_CREATED: ("Version", "Input"),
    EventType.EXECUTION_STARTED: ("Version", "Input", "OrchestrationInstance", "ParentInstance"),
    EventType.EXECUTION_TERMINATED: ("Input",),
    EventType.EVENT_RAISED: ("Input",),
    EventType.TIMER_FIRED: ("TimerId",),
}


def _render(
    event: Event, scheduled: dict[tuple[int, int], dict[str, Any]], show_output: bool
) -> tuple[dict[str, Any], int | None]:
    """One event as rendered, and the index of the scheduling event merged into it."""
    kind = EventType(event["EventType"])
    item = {k: v for k, v in event.items() if k not in ("EventId", "IsPlayed", "Tags")}
    item["EventType"] = event_name(kind)
    for key in _DROPPED.get(kind, ()):
        item.pop(key, None)
    if kind is EventType.EXECUTION_STARTED:
        item["FunctionName"] = item.pop("Name", None)
    merged = None
    for origin, completions in _SCHEDULING.items():
        if kind in completions:
            source = scheduled.get((origin, int(event.get("TaskScheduledId", -1))))
            if source is not None:
                item["ScheduledTime"] = source["Timestamp"]
                item["FunctionName"] = source.get("Name")
                merged = int(source["index"])
            item.pop("TaskScheduledId", None)
    if kind in _COMPLETED_WITH_OUTPUT:
        if show_output:
            item["Result"] = parse_json_or_raw(item.get("Result"))
        else:
            item.pop("Result", None)
    return item, merged


def render_history(events: list[Event], *, show_output: bool) -> list[dict[str, Any]]:
    """The ``historyEvents`` array for ``events`` (one execution, in order)."""
    scheduled: dict[tuple[int, int], dict[str, Any]] = {}
    for index, event in enumerate(events):
        kind = EventType(event["EventType"])
        if kind in _SCHEDULING:
            scheduled[(kind, int(event["EventId"]))] = {"index": index, **event}
    rendered: list[tuple[int, dict[str, Any]]] = []
    merged: set[int] = set()
    for index, event in enumerate(events):
        if event["EventType"] in (EventType.ORCHESTRATOR_STARTED, EventType.ORCHESTRATOR_COMPLETED):
            continue
        item, source = _render(event, scheduled, show_output)
        if source is not None:
            merged.add(source)
        rendered.append((index, item))
    return [item for index, item in rendered if index not in merged]
