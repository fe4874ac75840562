"""What intake asks of the Durable host once its transaction has committed.

Each effect is a coroutine function of the request's ``Orchestrations`` client returning the
final ``IntakeResult``. Failures to reach the host propagate as ``Unavailable`` (the sender
retries; the stored delivery makes that retry safe).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from shared.domain.errors import DomainError, NotFound, Unavailable
from shared.domain.task import AgentTask
from shared.ports.orchestrations import Orchestrations
from shared.services.intake.model import IntakeResult, Outcome

log = logging.getLogger(__name__)

Effect = Callable[[Orchestrations], Awaitable[IntakeResult]]
#: The flow that audits a command refused at intake and replies to its author (no SCM call here).
REFUSAL_FLOW = "refusal_reply"


def start_flow(
    flow: str,
    task: AgentTask,
    result: IntakeResult | None = None,
    *,
    only_if_missing: bool = False,
) -> Effect:
    """Start ``flow`` for ``task`` (instance id = task id); with ``only_if_missing``, only when
    the host does not know the instance yet (recovering a start that failed after the commit)."""
    answer = result or IntakeResult(Outcome.ACCEPTED, task.id)

    async def start(orchestrations: Orchestrations) -> IntakeResult:
        if only_if_missing:
            if await orchestrations.exists(task.id):
                return answer
            log.warning("starting the missing orchestration of task %s (%s)", task.id, task.tenant)
        await orchestrations.start(flow, task.id, task.to_dict())
        return answer

    return start


def terminate(result: IntakeResult, instance_id: str) -> Effect:
    async def stop(orchestrations: Orchestrations) -> IntakeResult:
        await orchestrations.terminate(instance_id, "cancelled by /agent cancel")
        return result

    return stop


def raise_approval(instance_id: str, event: dict[str, Any]) -> Effect:
    async def send(orchestrations: Orchestrations) -> IntakeResult:
        try:
            await orchestrations.raise_event(instance_id, "approval", event)
        except NotFound:
            return IntakeResult(Outcome.IGNORED, instance_id, "task-not-running")
        return IntakeResult(Outcome.APPROVAL_SENT, instance_id)

    return send


def refuse(
    task: AgentTask, reason: str, result: IntakeResult, error: DomainError | None = None
) -> Effect:
    """Start the refusal reply for ``task`` (instance ``<task id>-refused``), then answer
    ``result`` or raise ``error`` (a 429 stays a 429). The reply is best effort: when the host
    cannot start it, the refusal is only logged, and the sender's answer is unchanged."""

    async def run(orchestrations: Orchestrations) -> IntakeResult:
        payload = {"task": task.to_dict(), "reason": reason}
        try:
            await orchestrations.start(REFUSAL_FLOW, f"{task.id}-refused", payload)
        except Unavailable:
            log.warning("could not start the refusal reply of %s (%s)", task.id, task.tenant)
        if error is not None:
            raise error
        return result

    return run
