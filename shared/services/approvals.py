"""Human decisions on tasks for SSO users (the admin API authenticates them, see
``shared.services.admin.access``). Deciding needs the ``Approver`` role.

A decision exists only once it is recorded: ``decide`` checks it and stores it (with the
decider's roles and linked identities, and its audit event) in the tenant's store, and only
then does the caller raise the ``approval`` event, which carries the decision id and nothing
else. The first decision wins; a later one is 409 ``already-decided`` (only the same approver
sending the same decision again while the task still waits gets it back, so that an event lost
on the way can be raised again; the reconciler raises it again too, for a task still waiting
well after its decision was recorded). The orchestration acts on an event only when ``forgery``
finds nothing wrong with the stored decision it names.

Who is who is decided on the tenant's identity links (SCM user <-> Entra object id): the
requester cannot approve under any linked account, and an approver without a link is refused
(403 ``identity-not-linked``) unless the tenant's ``approvals.allow_unlinked_approvers`` is true.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shared.auth.entra import Principal
from shared.domain.approval import (
    ApprovalDecision,
    Decision,
    IdentityLink,
    ScmIdentity,
    TaskUnderDecision,
)
from shared.domain.errors import Conflict, PermissionDenied
from shared.domain.task import TaskStatus
from shared.policies.rbac import Role, approver_refusal, highest_role, require_role
from shared.ports.approvals import ApprovalStore
from shared.ports.tenants import TenantDirectory


def allows_unlinked_approvers(settings: Mapping[str, Any]) -> bool:
    """The tenant's explicit opt-in (``{"approvals": {"allow_unlinked_approvers": true}}``)."""
    policy = settings.get("approvals")
    return isinstance(policy, dict) and policy.get("allow_unlinked_approvers") is True


def decider_identities(
    decision: ApprovalDecision, current: list[IdentityLink]
) -> tuple[ScmIdentity, ...]:
    """The decider's SCM identities: those recorded with the decision and those linked now."""
    return tuple(dict.fromkeys([*decision.linked, *(k.identity for k in current)]))


def forgery(
    decision: ApprovalDecision | None,
    task: TaskUnderDecision,
    current: list[IdentityLink],
    *,
    allow_unlinked: bool,
) -> str | None:
    """Why an ``approval`` event naming ``decision`` must not move ``task`` (``None``: it may).

    ``decision`` is what the tenant's store holds under the event's id (``None``: nothing, so
    the event was not raised by the tasks API or the intake); ``current`` are the links of the
    decider's object id now. The checks repeat the ones made when it was recorded, so that a
    link added since (showing the decider is the requester) still stops it.
    """
    if decision is None:
        return "unknown-decision"
    if decision.task_id != task.id:
        return "decision-of-another-task"
    if decision.via == "api":
        principal = Principal(
            decision.object_id or "", decision.principal, "", frozenset(decision.roles)
        )
        role = highest_role(principal)
        if role is None or role < Role.APPROVER:
            return "not-an-approver"
    identities = decider_identities(decision, current)
    unlinked = allow_unlinked or decision.via == "comment"
    return approver_refusal(task.requester_identity, identities, allow_unlinked=unlinked)


class ApprovalService:
    def __init__(self, tenants: TenantDirectory, store: ApprovalStore) -> None:
        self._tenants = tenants
        self._store = store

    def decide(
        self, tenant: str, task_id: str, principal: Principal, decision: Decision, comment: str
    ) -> ApprovalDecision:
        """Check and record a decision (audited as ``approval.submitted``); the caller raises
        ``{"decision_id": <its id>}`` as the ``approval`` event."""
        require_role(principal, Role.APPROVER)
        allow_unlinked = allows_unlinked_approvers(self._tenants.get(tenant).settings)
        with self._store.begin(tenant) as tx:
            task = tx.task(task_id)
            earlier = tx.decision_for(task_id)
            if earlier is not None:
                repeated = earlier.object_id == principal.object_id and earlier.decision == decision
                if repeated and task.status is TaskStatus.AWAITING_APPROVAL:
                    return earlier  # sent again before the task moved on: raise its event again
                raise Conflict(f"task {task_id!r} is already decided", code="already-decided")
            if task.status is not TaskStatus.AWAITING_APPROVAL:
                raise Conflict(
                    f"task {task_id!r} is {task.status}, not awaiting approval",
                    code="not-awaiting-approval",
                )
            linked = tuple(k.identity for k in tx.links_of(principal.object_id))
            refusal = approver_refusal(
                task.requester_identity, linked, allow_unlinked=allow_unlinked
            )
            if refusal == "requester-cannot-approve":
                raise PermissionDenied("the requester of a task cannot approve it", code=refusal)
            if refusal is not None:
                raise PermissionDenied(
                    "your Entra account is not linked to an SCM identity in this tenant; "
                    "ask a TenantAdmin to link it",
                    code=refusal,
                )
            recorded = ApprovalDecision(
                id=str(uuid.uuid4()),
                task_id=task_id,
                decision=decision,
                via="api",
                principal=principal.username,
                object_id=principal.object_id,
                roles=tuple(sorted(principal.roles)),
                linked=linked,
                comment=comment,
                decided_at=datetime.now(UTC),
            )
            tx.add(recorded)
            tx.audit(
                kind="approval.submitted",
                actor=principal.username,
                data=recorded.to_json(),
                task_id=task_id,
            )
        return recorded
