"""Human decisions on tasks, and reading a task, for SSO users (Entra ID bearer tokens).

The platform tenant is bound to one Entra directory (``settings["entra_tenant_id"]``); a token
must come from that directory. Deciding needs the ``Approver`` role, reading needs ``Viewer``.
The person who asked for the task cannot approve it. A decision is audited in the same
transaction that checks the task is waiting for one; the caller then raises the ``approval``
event on the task's orchestration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from shared.auth.entra import EntraTokenValidator, Principal, bearer_token
from shared.domain.errors import Conflict, InvalidInput, PermissionDenied, TenantDisabled
from shared.domain.task import TaskStatus
from shared.policies.rbac import Role, require_role, same_person
from shared.ports.audit import AuditLog
from shared.ports.tasks import TaskStore
from shared.ports.tenants import TenantDirectory

Decision = Literal["approve", "reject"]


def parse_decision(body: Any) -> tuple[Decision, str]:
    """``{"decision": "approve"|"reject", "comment": "..."}`` → (decision, comment)."""
    if not isinstance(body, dict):
        raise InvalidInput("body must be a JSON object", code="invalid-body")
    decision = body.get("decision")
    if decision not in ("approve", "reject"):
        raise InvalidInput("decision must be 'approve' or 'reject'", code="invalid-decision")
    comment = body.get("comment", "")
    if not isinstance(comment, str) or len(comment) > 4000:
        raise InvalidInput(
            "comment must be text of at most 4000 characters", code="invalid-comment"
        )
    return decision, comment


class ApprovalService:
    def __init__(
        self,
        tasks: TaskStore,
        tenants: TenantDirectory,
        audit: AuditLog,
        validator: EntraTokenValidator,
    ) -> None:
        self._tasks = tasks
        self._tenants = tenants
        self._audit = audit
        self._validator = validator

    def authenticate(self, tenant: str, authorization: str | None) -> Principal:
        """The caller of a tenant's API, from its ``Authorization`` header."""
        token = bearer_token(authorization)
        record = self._tenants.get(tenant)
        if not record.active:
            raise TenantDisabled(f"tenant {tenant!r} is disabled")
        directory = record.settings.get("entra_tenant_id")
        if not isinstance(directory, str) or not directory:
            raise PermissionDenied(
                f"tenant {tenant!r} is not bound to an Entra directory", code="no-directory"
            )
        return self._validator.validate(token, expected_tenant_id=directory)

    def view(self, tenant: str, task_id: str, principal: Principal) -> dict[str, Any]:
        require_role(principal, Role.VIEWER)
        with self._tasks.transaction(self._tenants.locate(tenant)) as tx:
            return self._tasks.get(tx, task_id).to_json()

    def decide(
        self, tenant: str, task_id: str, principal: Principal, decision: Decision, comment: str
    ) -> dict[str, Any]:
        """Check and audit a decision; returns the ``approval`` event payload to raise."""
        require_role(principal, Role.APPROVER)
        identity_map = self._tenants.get(tenant).settings.get("identity_map", {})
        with self._tasks.transaction(self._tenants.locate(tenant)) as tx:
            task = self._tasks.get(tx, task_id, for_update=True)
            if same_person(principal, task.requester, identity_map):
                raise PermissionDenied(
                    "the requester of a task cannot approve it", code="requester-cannot-approve"
                )
            if task.status is not TaskStatus.AWAITING_APPROVAL:
                raise Conflict(
                    f"task {task_id!r} is {task.status}, not awaiting approval",
                    code="not-awaiting-approval",
                )
            event = {
                "decision": decision,
                "approver": principal.username,
                "comment": comment,
                "via": "api",
                "decided_at": datetime.now(UTC).isoformat(),
            }
            self._audit.append(
                tx,
                kind="approval.submitted",
                actor=principal.username,
                data=event,
                task_id=task_id,
            )
        return event
