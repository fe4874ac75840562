"""Control commands on a source's active task (``/agent cancel``, ``approve``, ``reject``).

Apart from the intake service because they act on a task that already exists (cancel it, or
record a decision and raise it to the waiting flow), where every other command starts one.
"""

from __future__ import annotations

import uuid
from datetime import UTC

from shared.domain.approval import ApprovalDecision
from shared.domain.task import AgentTask, Command, TaskStatus
from shared.policies.triggers import TriggerRules, control_refusal
from shared.ports.intake import ActiveTask, IntakeTx
from shared.services.intake.effects import Effect, raise_approval, terminate
from shared.services.intake.model import IntakeResult, Outcome, audit_actor

CONTROL_COMMANDS = frozenset({Command.CANCEL, Command.APPROVE, Command.REJECT})


def apply_control(
    tx: IntakeTx, command: AgentTask, active: ActiveTask | None, rules: TriggerRules
) -> tuple[IntakeResult, Effect | None]:
    """``/agent cancel|approve|reject`` on the source's active task, inside the delivery's
    transaction: the result, and what to ask of the Durable host once it commits (a refused
    command is settled and audited, never applied)."""
    if active is None:
        tx.settle("ignored:no-active-task", None)
        return IntakeResult(Outcome.IGNORED, reason="no-active-task"), None
    refusal = control_refusal(command, rules, active.requester)
    approval = command.command in (Command.APPROVE, Command.REJECT)
    if refusal is None and approval and active.status is not TaskStatus.AWAITING_APPROVAL:
        refusal = "not-awaiting-approval"
    decision = None
    if refusal is None and approval:
        decision = _comment_decision(tx, command, active)
        refusal = None if isinstance(decision, ApprovalDecision) else decision
    if refusal is not None:
        tx.settle(f"ignored:{refusal}", active.id)
        tx.audit(
            kind="command.refused",
            actor=audit_actor(command),
            data={"command": command.command.value, "reason": refusal},
            task_id=active.id,
        )
        return IntakeResult(Outcome.IGNORED, active.id, refusal), None
    if not approval:
        tx.set_status(active.id, TaskStatus.CANCELLED)
        tx.audit(kind="task.cancelled", actor=audit_actor(command), data={}, task_id=active.id)
        tx.settle("cancelled", active.id)
        result = IntakeResult(Outcome.CANCELLED, active.id)
        return result, terminate(result, active.id)
    assert isinstance(decision, ApprovalDecision)
    tx.audit(
        kind="approval.submitted",
        actor=audit_actor(command),
        data=decision.to_json(),
        task_id=active.id,
    )
    tx.settle("approval", active.id)
    return (
        IntakeResult(Outcome.APPROVAL_SENT, active.id),
        raise_approval(active.id, {"decision_id": decision.id}),
    )


def _comment_decision(
    tx: IntakeTx, command: AgentTask, active: ActiveTask
) -> ApprovalDecision | str:
    """Record an allowed ``/agent approve|reject`` as the task's decision, or why not.

    The commenter is judged on their linked identities too (another account of the requester
    is still the requester); the first decision on a task wins."""
    identities = tx.identities_of((command.provider.value, command.requester.casefold()))
    if (command.provider.value, active.requester.casefold()) in identities:
        return "self-approval"
    decision = ApprovalDecision(
        id=str(uuid.uuid4()),
        task_id=active.id,
        decision="approve" if command.command is Command.APPROVE else "reject",
        via="comment",
        principal=command.requester,
        object_id=None,
        roles=(),
        linked=identities,
        comment=command.instruction,
        decided_at=command.received_at.astimezone(UTC),
    )
    return decision if tx.record_decision(decision) else "already-decided"
