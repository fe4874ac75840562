"""What counts as the same step when a replay's scheduling call meets the history's record of
it, and the message that names the step when it is not: the host's non-determinism check.

A step is the same when the history's scheduling event (TaskScheduled, TimerCreated,
SubOrchestrationInstanceCreated, EventSent) at a sequence id has the kind and the target (the
function's name, an entity message's instance; any timer) of the replay's decision with that id.
"""

from __future__ import annotations

from devhost.durable import decisions
from devhost.durable.events import Event, EventType

SCHEDULED_EVENTS = {
    EventType.TASK_SCHEDULED: "activity",
    EventType.TIMER_CREATED: "timer",
    EventType.SUB_ORCHESTRATION_CREATED: "sub-orchestration",
    EventType.EVENT_SENT: "entity message",
}

_ADVICE = "Orchestrator code must make the same durable calls in the same order on every replay."


class NonDeterminismError(Exception):
    """The replay scheduled something other than what the history records."""


def _describe_history(event: Event) -> str:
    kind = SCHEDULED_EVENTS[EventType(event["EventType"])]
    if event["EventType"] == EventType.TIMER_CREATED:
        return "a timer"
    target = event.get("InstanceId") if event["EventType"] == EventType.EVENT_SENT else None
    return f"{kind} {target or event.get('Name')!r}"


def check_same_step(
    seq: int, event: Event, decision: decisions.Decision | None
) -> decisions.Decision:
    """``decision`` when it is the step the history's scheduling ``event`` at sequence id ``seq``
    records; else (None: the replay scheduled nothing there) ``NonDeterminismError``."""
    recorded = _describe_history(event)
    step = f"step with sequence id {seq}"
    if decision is None:
        raise NonDeterminismError(
            f"Non-deterministic orchestrator: at the {step} the history records {recorded}, "
            f"but the replay did not schedule it. {_ADVICE}"
        )
    same_kind = decision.event["EventType"] == event["EventType"]
    same_target = _describe_history(decision.event) == recorded if same_kind else False
    if not same_target:
        raise NonDeterminismError(
            f"Non-deterministic orchestrator: at the {step} the history records {recorded}, "
            f"but the replay scheduled {decision.what}. {_ADVICE}"
        )
    return decision
