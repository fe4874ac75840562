"""What each scheduling call of an orchestrator becomes: a history event and its effects.

A decision is recorded in the history under its sequence id (TaskScheduled, TimerCreated,
SubOrchestrationInstanceCreated, EventSent) and, when it is new, causes effects: an activity work
item, a delayed TimerFired message to the instance itself, a sub-orchestration's row and start
message, or a request message to an entity. Entity request ids are derived from the instance,
execution and sequence id, so a replay computes the same id.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from devhost.durable.events import Event, EventType, format_time, new_event
from devhost.durable.model import ENTITY, ORCHESTRATION, ActivityCall, NewInstance, OutMessage

Effect = ActivityCall | OutMessage | NewInstance


@dataclass(frozen=True)
class Scope:
    """The execution deciding, and the time of the episode being replayed."""

    instance_id: str
    execution_id: str
    stamp: str


@dataclass
class Decision:
    id: int
    event: Event
    effects: list[Effect]
    what: str  # e.g. "activity 'Hello'", for non-determinism messages


def activity(scope: Scope, seq: int, name: str, text_input: str | None) -> Decision:
    event = new_event(EventType.TASK_SCHEDULED, scope.stamp, seq, Name=name, Version="")
    event["Input"] = text_input
    call = ActivityCall(scope.instance_id, scope.execution_id, seq, name, text_input)
    return Decision(seq, event, [call], f"activity {name!r}")


def timer(scope: Scope, seq: int, fire_at: datetime) -> Decision:
    fire = format_time(fire_at)
    event = new_event(EventType.TIMER_CREATED, scope.stamp, seq, FireAt=fire)
    fired = new_event(EventType.TIMER_FIRED, fire, TimerId=seq, FireAt=fire)
    message = OutMessage(scope.instance_id, ORCHESTRATION, fired, scope.execution_id, fire_at)
    return Decision(seq, event, [message], "a timer")


def sub_orchestration(
    scope: Scope, seq: int, name: str, child: str, text_input: str | None, *, version: str
) -> Decision:
    event = new_event(
        EventType.SUB_ORCHESTRATION_CREATED, scope.stamp, seq, Name=name, InstanceId=child
    )
    event["Input"] = text_input
    parent = {
        "InstanceId": scope.instance_id,
        "ExecutionId": scope.execution_id,
        "TaskScheduledId": seq,
        "Name": name,
    }
    execution = uuid.uuid4().hex
    started = new_event(
        EventType.EXECUTION_STARTED,
        scope.stamp,
        Name=name,
        Input=text_input,
        Version=version,
        OrchestrationInstance={"InstanceId": child, "ExecutionId": execution},
        ParentInstance=parent,
    )
    effects: list[Effect] = [
        NewInstance(child, name, execution, text_input, parent),
        OutMessage(child, ORCHESTRATION, started, execution),
    ]
    return Decision(seq, event, effects, f"sub-orchestration {name!r}")


def entity_request_id(scope: Scope, seq: int) -> str:
    seed = f"{scope.instance_id}/{scope.execution_id}/{seq}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed))


def entity_message(
    scope: Scope, seq: int, action: dict[str, Any], *, signal: bool, visible_at: datetime | None
) -> Decision:
    target = str(action["instanceId"])
    request = {
        "id": entity_request_id(scope, seq),
        "op": action.get("operation"),
        "signal": signal,
        "input": action.get("input"),
        "parent": scope.instance_id,
        "parentExecution": scope.execution_id,
    }
    body = json.dumps(request)
    event = new_event(EventType.EVENT_SENT, scope.stamp, seq, InstanceId=target, Name="op")
    event["Input"] = body
    raised = new_event(EventType.EVENT_RAISED, scope.stamp, Name="op", Input=body)
    message = OutMessage(target, ENTITY, raised, None, visible_at)
    return Decision(seq, event, [message], f"entity {'signal' if signal else 'call'} to {target!r}")
