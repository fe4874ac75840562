"""Push deliveries at intake: recorded for the kept repository index, never a task.

A push (``shared.policies.triggers.pushes``) is recorded only when it updates the default branch
of a repository the tenant has connected; anything else is ignored with a reason. It is
authenticated like every delivery before it gets here, and its delivery id is claimed in the
same transaction that records its commits, so a replay records nothing twice. The kept index is
brought up to date by ``shared/services/repo_index.py`` (its timer, or the next task).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.errors import NotFound
from shared.domain.tenant import TenantLocation
from shared.policies.triggers import Delivery, Ignored
from shared.policies.triggers.pushes import Push, read_push
from shared.ports.connections import ConnectionDirectory
from shared.ports.intake import DeliveryRecord, IntakeTx
from shared.services.intake.model import IntakeResult, Outcome


@dataclass(frozen=True)
class PushToRecord:
    """An authenticated push to a connected repository's default branch."""

    location: TenantLocation
    push: Push
    record: DeliveryRecord


def prepare_push(
    connections: ConnectionDirectory | None,
    delivery: Delivery,
    location: TenantLocation,
    record: DeliveryRecord,
) -> IntakeResult | PushToRecord:
    """What to record for the push, or the result that ignores it (without a transaction)."""
    push = read_push(delivery)
    if isinstance(push, Ignored):
        return IntakeResult(Outcome.IGNORED, reason=push.reason)
    if connections is None:
        return IntakeResult(Outcome.IGNORED, reason="push-not-enabled")
    try:
        connections.get(delivery.tenant, push.provider.value, push.repository)
    except NotFound:
        return IntakeResult(Outcome.IGNORED, reason="repository-not-connected")
    return PushToRecord(location, push, record)


def record_push(tx: IntakeTx, prepared: PushToRecord) -> IntakeResult:
    """Claim the delivery (a replay records nothing twice) and record the push's commits."""
    push, record = prepared.push, prepared.record
    prior = tx.claim(record, "push-recorded", None)
    if prior is not None:
        return IntakeResult(Outcome.DUPLICATE, prior.task_id)
    tx.record_push(push, record.delivery_id)
    tx.audit(
        kind="repository.pushed",
        actor=f"{push.provider.value}:push",
        data={
            "repository": push.repository,
            "branch": push.branch,
            "after": push.after,
            "commits": len(push.commits),
            "paths_listed": push.paths_listed,
        },
        task_id=None,
    )
    return IntakeResult(Outcome.RECORDED)
