"""One small function per admin API operation: inputs in, one use case called, ``Reply`` out.

Roles were checked by the dispatcher from the operation table; what is left here is mapping
validated inputs onto the services of ``shared.services.admin`` (and approvals, identities).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from functions.api_dispatch import Reply, Request
from functions.api_model_handlers import MODEL_HANDLERS
from shared.domain.errors import InvalidInput, NotFound
from shared.domain.tenant import TenantStatus
from shared.ports.admin import AuditFilter, TaskFilter


def _tenant(r: Request) -> str:
    return r.params["tenant"]


def _connection(r: Request) -> int:
    text = r.params["connection"]
    if not text.isdigit() or len(text) > 18:
        raise NotFound("no such connection", code="connection-not-found")
    return int(text)


# --- meta and platform -----------------------------------------------------------------------
def get_openapi(r: Request) -> Reply:
    from shared.api.openapi import document

    return Reply(document())


# --- console: who am I -----------------------------------------------------------------------
def list_my_tenants(r: Request) -> Reply:
    return Reply(r.app.admin.session.my_tenants(r.caller))


def who_am_i(r: Request) -> Reply:
    return Reply(r.app.admin.session.who_am_i(_tenant(r), r.caller))


def list_tenants(r: Request) -> Reply:
    return Reply(r.app.admin.platform.list(r.query["cursor"], r.query["limit"]))


def create_tenant(r: Request) -> Reply:
    return Reply(r.app.admin.platform.create(r.body, r.caller))


def get_tenant(r: Request) -> Reply:
    return Reply(r.app.admin.platform.get(_tenant(r)))


def _set_status(status: TenantStatus) -> Callable[[Request], Reply]:
    def change(r: Request) -> Reply:
        return Reply(r.app.admin.platform.set_status(_tenant(r), status, r.caller))

    return change


def deprovision_tenant(r: Request) -> Reply:
    r.app.admin.platform.deprovision(_tenant(r), r.caller)
    return Reply()


def get_quotas(r: Request) -> Reply:
    return Reply(*r.app.admin.platform.quotas(_tenant(r)))


def put_quotas(r: Request) -> Reply:
    return Reply(*r.app.admin.platform.set_quotas(_tenant(r), r.body, r.if_match, r.caller))


# --- tenant administration -------------------------------------------------------------------
def list_connections(r: Request) -> Reply:
    return Reply(r.app.admin.connections.list(_tenant(r)))


def register_connection(r: Request) -> Reply:
    return Reply(r.app.admin.connections.register(_tenant(r), r.body, r.caller))


def test_connection(r: Request) -> Reply:
    return Reply(r.app.admin.connections.test(_tenant(r), _connection(r)))


def rotate_scm_token(r: Request) -> Reply:
    r.app.admin.connections.rotate_token(_tenant(r), _connection(r), r.body["token"], r.caller)
    return Reply()


def rotate_webhook_secret(r: Request) -> Reply:
    provider = r.params["provider"]
    if provider not in ("github", "gitlab", "azure-devops"):
        raise InvalidInput(f"unknown webhook provider {provider!r}", code="invalid-provider")
    overlap = r.body["overlap_seconds"]
    return Reply(
        r.app.admin.connections.rotate_webhook_secret(_tenant(r), provider, overlap, r.caller)
    )


def _get_policy(policy: str) -> Callable[[Request], Reply]:
    def read(r: Request) -> Reply:
        return Reply(*r.app.admin.policies.get(_tenant(r), policy))

    return read


def _put_policy(policy: str) -> Callable[[Request], Reply]:
    def write(r: Request) -> Reply:
        policies = r.app.admin.policies
        return Reply(*policies.put(_tenant(r), policy, r.body, r.if_match, r.caller))

    return write


def list_identity_links(r: Request) -> Reply:
    return Reply({"links": r.app.identities.list(_tenant(r), _admin(r))})


def put_identity_link(r: Request) -> Reply:
    p = r.params
    made = r.app.identities.link(_tenant(r), _admin(r), p["provider"], p["scm_user"], r.body)
    return Reply(made)


def delete_identity_link(r: Request) -> Reply:
    p = r.params
    r.app.identities.unlink(_tenant(r), _admin(r), p["provider"], p["scm_user"])
    return Reply()


def _admin(r: Request) -> Any:
    """The caller as the identity-link service sees it: its name and its granted roles."""
    from shared.auth.entra import Principal

    p = r.caller.principal
    return Principal(p.object_id, p.username, p.tenant_id, frozenset(map(str, r.caller.roles)))


def list_role_assignments(r: Request) -> Reply:
    return Reply({"items": r.app.admin.access.role_assignments(_tenant(r))})


def put_role_assignment(r: Request) -> Reply:
    access, p = r.app.admin.access, r.params
    return Reply(access.assign_role(_tenant(r), p["object_id"], p["role"], r.caller))


def delete_role_assignment(r: Request) -> Reply:
    p = r.params
    r.app.admin.access.revoke_role(_tenant(r), p["object_id"], p["role"], r.caller)
    return Reply()


# --- tasks and approvals ---------------------------------------------------------------------
def list_tasks(r: Request) -> Reply:
    q = r.query
    where = TaskFilter(q["status"], q["requester"], q["repository"], q["since"])
    return Reply(r.app.admin.tasks.list(_tenant(r), where, q["cursor"], q["limit"]))


def get_task(r: Request) -> Reply:
    return Reply(r.app.admin.tasks.detail(_tenant(r), r.params["task"], r.caller))


def get_task_timeline(r: Request) -> Reply:
    return Reply(r.app.admin.tasks.timeline(_tenant(r), r.params["task"]))


def cancel_task(r: Request) -> Reply:
    task = r.params["task"]
    cancelled = r.app.admin.tasks.cancel(_tenant(r), task, r.caller)

    async def terminate(orchestrations: Any) -> None:
        # an instance that already ended is fine: the task's status says cancelled all the same
        with suppress(NotFound):
            await orchestrations.terminate(task, f"cancelled by {r.caller.actor}")

    return Reply(cancelled, effect=terminate)


def decide_task(r: Request) -> Reply:
    task = r.params["task"]
    approvals = r.app.approvals
    body = r.body
    recorded = approvals.decide(_tenant(r), task, _admin(r), body["decision"], body["comment"])

    async def raise_event(orchestrations: Any) -> None:
        await orchestrations.raise_event(task, "approval", {"decision_id": recorded.id})

    return Reply({"task": task, **recorded.to_json()}, effect=raise_event)


def approvals_queue(r: Request) -> Reply:
    return Reply(r.app.admin.tasks.queue(_tenant(r), r.caller))


# --- audit and usage -------------------------------------------------------------------------
def query_audit(r: Request) -> Reply:
    q = r.query
    where = AuditFilter(q["since"], q["until"], q["kind"], q["actor"])
    return Reply(r.app.admin.audit.query(_tenant(r), where, q["cursor"], q["limit"]))


def export_audit(r: Request) -> Reply:
    lines = r.app.admin.audit.export(_tenant(r))
    return Reply(text="".join(line + "\n" for line in lines))


def verify_audit(r: Request) -> Reply:
    return Reply(r.app.admin.audit.verify(_tenant(r)))


def get_usage(r: Request) -> Reply:
    q = r.query
    return Reply(r.app.admin.usage.per_day(_tenant(r), q["since"], q["until"]))


HANDLERS: dict[str, Callable[[Request], Reply]] = {
    "getOpenApi": get_openapi,
    "listMyTenants": list_my_tenants,
    "whoAmI": who_am_i,
    "listTenants": list_tenants,
    "createTenant": create_tenant,
    "getTenant": get_tenant,
    "disableTenant": _set_status(TenantStatus.DISABLED),
    "enableTenant": _set_status(TenantStatus.ACTIVE),
    "deprovisionTenant": deprovision_tenant,
    "getQuotas": get_quotas,
    "putQuotas": put_quotas,
    "listConnections": list_connections,
    "registerConnection": register_connection,
    "testConnection": test_connection,
    "rotateScmToken": rotate_scm_token,
    "rotateWebhookSecret": rotate_webhook_secret,
    "getTriggerPolicy": _get_policy("trigger"),
    "putTriggerPolicy": _put_policy("trigger"),
    "getPatchPolicy": _get_policy("patch"),
    "putPatchPolicy": _put_policy("patch"),
    "getModelRoute": _get_policy("model-route"),
    "putModelRoute": _put_policy("model-route"),
    "listIdentityLinks": list_identity_links,
    "putIdentityLink": put_identity_link,
    "deleteIdentityLink": delete_identity_link,
    "listRoleAssignments": list_role_assignments,
    "putRoleAssignment": put_role_assignment,
    "deleteRoleAssignment": delete_role_assignment,
    "listTasks": list_tasks,
    "getTask": get_task,
    "getTaskTimeline": get_task_timeline,
    "cancelTask": cancel_task,
    "decideTask": decide_task,
    "approvalsQueue": approvals_queue,
    "queryAudit": query_audit,
    "exportAudit": export_audit,
    "verifyAudit": verify_audit,
    "getUsage": get_usage,
    **MODEL_HANDLERS,
}
