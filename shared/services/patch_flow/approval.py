"""patch_flow's check of an ``approval`` event, before anything is pushed.

The event is only a pointer: ``{"decision_id": ...}``. The decision it names must be recorded in
the task's own tenant store, for this task, by someone the policy lets decide (see
``shared.services.approvals.forgery``). Anything else — a payload raised straight through the
Durable management API, an id of another task or tenant — is ignored by the flow and audited as
``approval-forged``; the flow goes on waiting within the same deadline.
"""

from __future__ import annotations

from typing import Any

from shared.domain.approval import VERIFIED, TaskUnderDecision
from shared.domain.task import TaskStatus
from shared.services.approvals import allows_unlinked_approvers, forgery
from shared.services.patch_flow.deps import PatchFlowDeps

FORGED = "approval-forged"


def verify_approval(deps: PatchFlowDeps, task: dict[str, Any], event: Any) -> dict[str, Any]:
    """``{"verified": True, "approval": <decision>, "waited_s": <request → decision>}`` or
    ``{"verified": False, "reason": ...}``. The request time is the task's last update (the
    ``awaiting-approval`` step; recording a decision does not touch the task row)."""
    tenant = task["tenant"]
    with deps.tasks.transaction(deps.tenants.locate(tenant)) as tx:
        awaiting_since = deps.tasks.get(tx, task["id"]).updated_at
    named = event.get("decision_id") if isinstance(event, dict) else None
    decision = deps.approvals.decision(tenant, named) if isinstance(named, str) else None
    current = (
        deps.approvals.links(tenant, object_id=decision.object_id)
        if decision is not None and decision.object_id
        else []
    )
    under = TaskUnderDecision(
        task["id"], task["provider"], task["requester"], TaskStatus.AWAITING_APPROVAL
    )
    allow_unlinked = allows_unlinked_approvers(deps.tenants.get(tenant).settings)
    reason = forgery(decision, under, current, allow_unlinked=allow_unlinked)
    if reason is not None or decision is None:
        deps.record(task, FORGED, {"reason": reason, "event": _summary(event)})
        return {"verified": False, "reason": reason}
    approval = decision.to_json()
    deps.record(
        task,
        VERIFIED,
        {"decision_id": decision.id, "decision": decision.decision, "approver": decision.principal},
        lineage={"approval": approval},
    )
    waited = (decision.decided_at - awaiting_since).total_seconds()
    return {"verified": True, "approval": approval, "waited_s": max(waited, 0.0)}


def _summary(event: Any) -> dict[str, Any]:
    """What the audit keeps of an untrusted event: bounded, never the whole payload."""
    if not isinstance(event, dict):
        return {"type": type(event).__name__}
    named = event.get("decision_id")
    return {
        "keys": sorted(str(k)[:40] for k in event)[:10],
        "decision_id": named[:64] if isinstance(named, str) else None,
    }
