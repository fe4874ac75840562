"""Tasks for SSO users: list and filter, detail with lineage, timeline, cancel, and the approvals
queue — what waits for *this* caller's decision. The texts of a detail and of the queue are
redacted with the tenant's secret placeholders (``review.redacted``).

The queue holds exactly the tasks the caller could decide now: this tenant's tasks waiting for
approval with no decision recorded, minus those the caller requested under any linked SCM
account, and nothing at all for a caller without a linked identity unless the tenant allows
unlinked approvers (the same rule ``ApprovalService.decide`` enforces, from the same policy).
Roles are checked before any of this by the dispatcher (``shared.api.operations``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.domain.approval import TaskUnderDecision
from shared.domain.errors import InvalidInput, PermissionDenied
from shared.domain.task import TaskStatus
from shared.policies.rbac import AppRole, approver_refusal
from shared.policies.secrets import REDACTION_KEY_PURPOSE
from shared.ports.admin import AdminReads, AuditFilter, Page, TaskFilter
from shared.ports.approvals import ApprovalStore
from shared.ports.keys import KeyProvider
from shared.ports.tenants import TenantDirectory
from shared.services.admin.access import Caller
from shared.services.admin.paging import next_cursor, page
from shared.services.admin.review import (
    MAX_DIFF_CHARS,
    approval_state,
    check_view,
    model_card,
    redacted,
    review_view,
)
from shared.services.approvals import allows_unlinked_approvers

#: The status an audit event moves its task to (the timeline's status changes).
STATUS_OF_EVENT = {
    "task.received": TaskStatus.QUEUED,
    "task.started": TaskStatus.RUNNING,
    "approval.requested": TaskStatus.AWAITING_APPROVAL,
    "task.completed": TaskStatus.COMPLETED,
    "task.failed": TaskStatus.FAILED,
    "task.rejected": TaskStatus.REJECTED,
    "task.expired": TaskStatus.EXPIRED,
    "task.cancelled": TaskStatus.CANCELLED,
}
_SUMMARY = (
    "id", "provider", "repository", "source_kind", "source_id", "command", "requester",
    "status", "step", "pr_url", "approver", "created_at", "updated_at",
)  # fmt: skip


def summary(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in _SUMMARY}


class TaskAdmin:
    def __init__(
        self,
        reads: AdminReads,
        approvals: ApprovalStore,
        tenants: TenantDirectory,
        keys: KeyProvider,
    ) -> None:
        self._reads = reads
        self._approvals = approvals
        self._tenants = tenants
        self._keys = keys

    def list(
        self, tenant: str, where: TaskFilter, cursor: str | None, limit: int
    ) -> dict[str, Any]:
        at = page(cursor, limit)
        if at.after is not None:
            _check_task_key(at)
        rows = self._reads.tasks(tenant, where, at)
        return {"items": [summary(r) for r in rows], "next_cursor": next_cursor(rows, limit)}

    def detail(self, tenant: str, task_id: str, caller: Caller) -> dict[str, Any]:
        """The task with its lineage and LLM calls, and what its console page shows (see
        ``review``): texts redacted with the tenant's placeholders, the approval state as
        ``caller`` would meet it."""
        row = self._reads.task(tenant, task_id)
        key = self._keys.derive_key(tenant, REDACTION_KEY_PURPOSE)
        lineage = row.get("lineage") or {}
        with self._approvals.begin(tenant) as tx:
            decision = tx.decision_for(task_id)
        approval = approval_state(
            row,
            decision,
            caller_roles=caller.roles,
            caller_identities=self._identities(tenant, caller),
            allow_unlinked=allows_unlinked_approvers(self._tenants.get(tenant).settings),
        )
        return {
            **summary(row),
            "instruction": redacted(row["instruction"], key),
            "result": redacted(row["result"], key),
            # the review's diff and check are shown once, as ``review`` and ``check``
            "lineage": redacted({k: v for k, v in lineage.items() if k != "review"}, key),
            "llm_calls": self._reads.llm_calls(tenant, task_id),
            "review": review_view(lineage, key),
            "risk": redacted(lineage.get("risk"), key),
            "check": check_view(lineage, key),
            "model_card": model_card(tenant, lineage),
            "approval": redacted(approval, key),
        }

    def timeline(self, tenant: str, task_id: str) -> dict[str, Any]:
        self._reads.task(tenant, task_id)  # NotFound for an unknown task
        events = self._reads.audit_events(tenant, AuditFilter(task_id=task_id), Page(None, 10_000))
        entries = [
            {
                "at": e["occurred_at"],
                "kind": e["kind"],
                "actor": e["actor"],
                "status": STATUS_OF_EVENT.get(e["kind"]),
                "data": e["data"],
            }
            for e in events
        ]
        return {"task": task_id, "entries": entries}

    def cancel(self, tenant: str, task_id: str, caller: Caller) -> dict[str, Any]:
        """Cancel an active task: a TenantAdmin may, and so may its requester (recognised by
        the tenant's identity links). The caller then terminates the orchestration."""
        if AppRole.TENANT_ADMIN not in caller.roles:
            row = self._reads.task(tenant, task_id)
            requester = TaskUnderDecision(
                task_id, row["provider"], row["requester"], TaskStatus(row["status"])
            ).requester_identity
            if requester not in self._identities(tenant, caller):
                raise PermissionDenied(
                    "only a TenantAdmin or the task's requester may cancel it",
                    code="role-required",
                )
        return summary(self._reads.cancel(tenant, task_id, actor=caller.actor))

    def queue(self, tenant: str, caller: Caller) -> dict[str, Any]:
        allow_unlinked = allows_unlinked_approvers(self._tenants.get(tenant).settings)
        mine = self._identities(tenant, caller)
        key = self._keys.derive_key(tenant, REDACTION_KEY_PURPOSE)
        items = []
        for row in self._reads.awaiting_decision(tenant):
            requester = TaskUnderDecision(
                row["id"], row["provider"], row["requester"], TaskStatus.AWAITING_APPROVAL
            ).requester_identity
            if approver_refusal(requester, mine, allow_unlinked=allow_unlinked) is not None:
                continue
            lineage = row.get("lineage") or {}
            review = lineage.get("review") or {}
            diff = review.get("diff")
            items.append(
                {
                    "task": summary(row),
                    "diff": redacted(diff[:MAX_DIFF_CHARS], key) if isinstance(diff, str) else None,
                    "risk": redacted(lineage.get("risk"), key),
                    "check": redacted(review.get("check"), key),
                }
            )
        return {"items": items}

    def _identities(self, tenant: str, caller: Caller) -> tuple[tuple[str, str], ...]:
        links = self._approvals.links(tenant, object_id=caller.principal.object_id)
        return tuple(k.identity for k in links)


def _check_task_key(at: Page) -> None:
    key = at.after or ()
    try:
        ok = len(key) == 2 and isinstance(key[1], str) and bool(datetime.fromisoformat(key[0]))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InvalidInput("malformed cursor", code="invalid-cursor")
