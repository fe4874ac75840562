"""How an episode ends an execution: completed, failed, terminated or continued as new.

Each ending appends ``ExecutionCompleted`` (then ``OrchestratorCompleted``) to the history, sets
the instance's status and output, drops the execution's pending messages (timers that can no
longer matter) and, for a sub-orchestration, tells the parent with a SubOrchestrationInstance
Completed/Failed message addressed to the parent's execution.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from devhost.durable.events import EventType, RuntimeStatus, new_event
from devhost.durable.model import (
    ORCHESTRATION,
    EpisodeOutcome,
    InstanceRecord,
    InstanceUpdate,
    OutMessage,
)
from devhost.durable.orchestrator_state import OrchestratorOutput


@dataclass(frozen=True)
class Execution:
    """The execution an episode ran: identity, input and parent, after any restart."""

    instance: InstanceRecord
    name: str
    execution_id: str
    input: str | None
    parent: dict[str, Any] | None
    custom_status: str | None
    stamp: str
    recreated: bool = False


def _update(execution: Execution, status: RuntimeStatus, output: str | None) -> InstanceUpdate:
    return InstanceUpdate(
        status=status,
        execution_id=execution.execution_id,
        input=execution.input,
        output=output,
        custom_status=execution.custom_status,
        name=execution.name,
        parent=execution.parent,
        recreated=execution.recreated,
    )


def notify_parent(execution: Execution, event_type: EventType, **fields: Any) -> list[OutMessage]:
    parent = execution.parent
    if not parent:
        return []
    event = new_event(event_type, execution.stamp, TaskScheduledId=parent["TaskScheduledId"])
    event.update(fields)
    return [OutMessage(parent["InstanceId"], ORCHESTRATION, event, parent["ExecutionId"])]


def _close(
    outcome: EpisodeOutcome, execution: Execution, status: RuntimeStatus, **fields: Any
) -> None:
    completed = new_event(
        EventType.EXECUTION_COMPLETED, execution.stamp, OrchestrationStatus=str(status), **fields
    )
    outcome.append += [completed, new_event(EventType.ORCHESTRATOR_COMPLETED, execution.stamp)]
    outcome.drop_messages_of = execution.execution_id


def complete(outcome: EpisodeOutcome, execution: Execution, output: Any) -> None:
    text = json.dumps(output)
    _close(outcome, execution, RuntimeStatus.COMPLETED, Result=text)
    outcome.update = _update(execution, RuntimeStatus.COMPLETED, text)
    outcome.messages += notify_parent(execution, EventType.SUB_ORCHESTRATION_COMPLETED, Result=text)


def fail(outcome: EpisodeOutcome, execution: Execution, message: str, details: str = "") -> None:
    failure = {"ErrorType": "OrchestrationFailure", "ErrorMessage": message, "StackTrace": details}
    _close(outcome, execution, RuntimeStatus.FAILED, Result=message, FailureDetails=failure)
    outcome.update = _update(execution, RuntimeStatus.FAILED, message)
    outcome.messages += notify_parent(
        execution, EventType.SUB_ORCHESTRATION_FAILED, Reason=message, Details=details
    )


def terminate(outcome: EpisodeOutcome, execution: Execution, reason: str) -> None:
    _close(outcome, execution, RuntimeStatus.TERMINATED, Result=reason)
    outcome.update = _update(execution, RuntimeStatus.TERMINATED, reason)
    outcome.messages += notify_parent(
        execution,
        EventType.SUB_ORCHESTRATION_FAILED,
        Reason=f"Sub-orchestration '{execution.name}' was terminated: {reason}",
        Details="",
    )


def continue_as_new(outcome: EpisodeOutcome, execution: Execution, new_input: str | None) -> None:
    """End this execution and queue the start of the next one (same instance, new execution)."""
    _close(outcome, execution, RuntimeStatus.CONTINUED_AS_NEW, Result=new_input)
    following = uuid.uuid4().hex
    started = new_event(
        EventType.EXECUTION_STARTED,
        execution.stamp,
        Name=execution.name,
        Input=new_input,
        Version=execution.instance.version,
        OrchestrationInstance={
            "InstanceId": execution.instance.instance_id,
            "ExecutionId": following,
        },
        ParentInstance=execution.parent,
    )
    outcome.messages.append(
        OutMessage(execution.instance.instance_id, ORCHESTRATION, started, following)
    )
    update = _update(execution, RuntimeStatus.CONTINUED_AS_NEW, None)
    outcome.update = InstanceUpdate(
        status=update.status,
        execution_id=following,
        input=new_input,
        output=None,
        custom_status=update.custom_status,
        name=update.name,
        parent=update.parent,
        recreated=update.recreated,
    )


def running(outcome: EpisodeOutcome, execution: Execution, status: RuntimeStatus) -> None:
    outcome.append.append(new_event(EventType.ORCHESTRATOR_COMPLETED, execution.stamp))
    outcome.update = _update(execution, status, None)


def conclude(
    outcome: EpisodeOutcome,
    execution: Execution,
    output: OrchestratorOutput,
    *,
    finished: bool,
    continued: bool,
    error: str | None,
    new_input: str | None,
) -> None:
    """End the episode as the shim does: the SDK's verdict counts only once the host walked
    all its actions (``finished``); an action the host refused (``error``) fails at once."""
    failure = error or (output.error if finished else None)
    if failure is not None:
        fail(outcome, execution, f"Orchestrator function '{execution.name}' failed: {failure}")
    elif finished and output.is_done and continued:
        continue_as_new(outcome, execution, new_input)
    elif finished and output.is_done:
        complete(outcome, execution, output.output)
    else:
        running(outcome, execution, RuntimeStatus.RUNNING)
