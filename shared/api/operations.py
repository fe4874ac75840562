"""The admin API's operations: one table that the triggers register, the dispatcher enforces and
the OpenAPI document describes, so that no operation can be served without its roles.

Kept free of heavy imports (no pydantic, no services): ``functions/admin_api.py`` reads it when
the app is imported (cold start). Models are named by their class name in ``shared.api.models``
or a resource module beside it (``shared.api.*_models``).

``roles`` are the app roles (``shared.policies.rbac.AppRole`` values) of which the caller needs
one; ``None`` marks a public operation. ``scope`` says which directory must have issued the
token: the tenant's (``tenant``) or the platform operators' (``platform``); a tenant operation
whose route names no ``{tenant}`` takes it from the ``tenant`` query parameter. ``requester_may``:
the requester of the task may also call it (any role; checked by the service on identity links).
``alternative``: a text media type served instead of JSON when the caller's ``Accept`` asks.
Scope ``user``: any signed-in user of any directory (``roles`` empty: no role is needed; the
operation answers only about the caller).
"""

from __future__ import annotations

from dataclasses import dataclass

VIEWER = frozenset({"Viewer"})
APPROVER = frozenset({"Approver"})
TENANT_ADMIN = frozenset({"TenantAdmin"})
AUDITOR = frozenset({"Auditor"})
PLATFORM_ADMIN = frozenset({"PlatformAdmin"})
USAGE_READERS = frozenset({"TenantAdmin", "Auditor"})
ANY_TENANT_ROLE = frozenset({"TenantAdmin", "Approver", "Auditor", "Viewer"})
SIGNED_IN: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    route: str  # under /api, Functions route syntax
    summary: str
    tag: str
    roles: frozenset[str] | None
    scope: str = "tenant"
    request: str | None = None  # a model of shared.api.models (JSON body)
    response: str | None = None  # a model of shared.api.models; None: no body
    status: int = 200
    query: str | None = None  # a model whose fields are the query parameters
    etag: bool = False  # GET answers an ETag; PUT needs If-Match (428 without, 412 stale)
    requester_may: bool = False
    durable: bool = False  # needs the Durable client (raises events, terminates)
    media_type: str = "application/json"
    alternative: str | None = None


_T = "tenants/{tenant}"
OPERATIONS: tuple[Operation, ...] = (
    Operation("getOpenApi", "GET", "openapi.json", "This OpenAPI document", "meta", None,
              scope="public", response="OpenApiDocument"),
    # --- console: who am I and which tenants (the browser console's first calls) --------------
    Operation("listMyTenants", "GET", "me/tenants", "The tenants the caller may pick", "console",
              SIGNED_IN, scope="user", response="MyTenants"),
    Operation("whoAmI", "GET", f"{_T}/me",
              "The caller on this tenant: user, roles and the console actions they allow",
              "console", ANY_TENANT_ROLE, response="WhoAmI"),
    # --- platform (PlatformAdmin) ---------------------------------------------------------------
    Operation("listTenants", "GET", "tenants", "List tenants", "platform", PLATFORM_ADMIN,
              scope="platform", response="TenantPage", query="PageQuery"),
    Operation("createTenant", "POST", "tenants", "Provision a tenant", "platform",
              PLATFORM_ADMIN, scope="platform", request="TenantCreate", response="TenantView",
              status=201),
    Operation("getTenant", "GET", _T, "Read a tenant", "platform", PLATFORM_ADMIN,
              scope="platform", response="TenantView"),
    Operation("disableTenant", "POST", f"{_T}/disable", "Disable a tenant", "platform",
              PLATFORM_ADMIN, scope="platform", response="TenantView"),
    Operation("enableTenant", "POST", f"{_T}/enable", "Enable a tenant", "platform",
              PLATFORM_ADMIN, scope="platform", response="TenantView"),
    Operation("deprovisionTenant", "DELETE", _T, "Deprovision a tenant and delete its data",
              "platform", PLATFORM_ADMIN, scope="platform", status=204),
    Operation("getQuotas", "GET", f"{_T}/quotas", "Quotas and budgets", "platform",
              PLATFORM_ADMIN, scope="platform", response="Quotas", etag=True),
    Operation("putQuotas", "PUT", f"{_T}/quotas", "Change quotas and budgets", "platform",
              PLATFORM_ADMIN, scope="platform", request="Quotas", response="Quotas", etag=True),
    # --- tenant administration (TenantAdmin) ----------------------------------------------------
    Operation("listConnections", "GET", f"{_T}/connections", "SCM connections", "tenant",
              TENANT_ADMIN, response="ConnectionList"),
    Operation("registerConnection", "POST", f"{_T}/connections", "Register an SCM connection",
              "tenant", TENANT_ADMIN, request="ConnectionCreate", response="ConnectionView",
              status=201),
    Operation("testConnection", "POST", f"{_T}/connections/{{connection}}/test",
              "Test an SCM connection's connectivity", "tenant", TENANT_ADMIN,
              response="ConnectivityResult"),
    Operation("rotateScmToken", "PUT", f"{_T}/connections/{{connection}}/token",
              "Replace an SCM connection's token", "tenant", TENANT_ADMIN,
              request="TokenRotation", status=204),
    Operation("rotateWebhookSecret", "POST", f"{_T}/webhook-secrets/{{provider}}/rotate",
              "Rotate a webhook secret; the old one stays valid for the overlap", "tenant",
              TENANT_ADMIN, request="SecretRotation", response="RotatedSecret"),
    Operation("getTriggerPolicy", "GET", f"{_T}/policies/trigger", "Trigger policy", "tenant",
              TENANT_ADMIN, response="TriggerPolicy", etag=True),
    Operation("putTriggerPolicy", "PUT", f"{_T}/policies/trigger", "Replace the trigger policy",
              "tenant", TENANT_ADMIN, request="TriggerPolicy", response="TriggerPolicy",
              etag=True),
    Operation("getPatchPolicy", "GET", f"{_T}/policies/patch", "Patch policy", "tenant",
              TENANT_ADMIN, response="PatchPolicy", etag=True),
    Operation("putPatchPolicy", "PUT", f"{_T}/policies/patch", "Replace the patch policy",
              "tenant", TENANT_ADMIN, request="PatchPolicy", response="PatchPolicy", etag=True),
    Operation("getModelRoute", "GET", f"{_T}/policies/model-route", "LLM routes", "tenant",
              TENANT_ADMIN, response="ModelRoute", etag=True),
    Operation("putModelRoute", "PUT", f"{_T}/policies/model-route", "Replace the LLM routes",
              "tenant", TENANT_ADMIN, request="ModelRoute", response="ModelRoute", etag=True),
    Operation("listIdentityLinks", "GET", f"{_T}/identities", "Identity links", "tenant",
              TENANT_ADMIN, response="IdentityLinkList"),
    Operation("putIdentityLink", "PUT", f"{_T}/identities/{{provider}}/{{scm_user}}",
              "Link an SCM user to an Entra object id", "tenant", TENANT_ADMIN,
              request="IdentityLinkBody", response="IdentityLinkView"),
    Operation("deleteIdentityLink", "DELETE", f"{_T}/identities/{{provider}}/{{scm_user}}",
              "Unlink an SCM user", "tenant", TENANT_ADMIN, status=204),
    Operation("listRoleAssignments", "GET", f"{_T}/role-assignments", "Role assignments",
              "tenant", TENANT_ADMIN, response="RoleAssignmentList"),
    Operation("putRoleAssignment", "PUT", f"{_T}/role-assignments/{{object_id}}/{{role}}",
              "Grant a role on this tenant to an Entra object id", "tenant", TENANT_ADMIN,
              response="RoleAssignmentView"),
    Operation("deleteRoleAssignment", "DELETE", f"{_T}/role-assignments/{{object_id}}/{{role}}",
              "Revoke a role assignment", "tenant", TENANT_ADMIN, status=204),
    # --- tasks (Viewer and above) and approvals (Approver) -------------------------------------
    Operation("listTasks", "GET", f"{_T}/tasks", "List and filter tasks", "tasks", VIEWER,
              response="TaskPage", query="TaskQuery"),
    Operation("getTask", "GET", f"{_T}/tasks/{{task}}", "A task with its lineage", "tasks",
              VIEWER, response="TaskDetail"),
    Operation("getTaskTimeline", "GET", f"{_T}/tasks/{{task}}/timeline",
              "Status changes and audit events of a task", "tasks", VIEWER,
              response="Timeline"),
    Operation("cancelTask", "POST", f"{_T}/tasks/{{task}}/cancel",
              "Cancel a task (TenantAdmin or its requester)", "tasks", TENANT_ADMIN,
              response="TaskSummary", requester_may=True, durable=True),
    Operation("decideTask", "POST", f"{_T}/tasks/{{task}}/approval",
              "Approve or reject a task waiting for a decision", "approvals", APPROVER,
              request="DecisionBody", response="DecisionView", status=202, durable=True),
    Operation("approvalsQueue", "GET", f"{_T}/approvals",
              "Tasks waiting for a decision that the caller may take", "approvals", APPROVER,
              response="ApprovalQueue"),
    # --- audit (Auditor) and usage (TenantAdmin, Auditor) --------------------------------------
    Operation("queryAudit", "GET", f"{_T}/audit", "Query the audit log", "audit", AUDITOR,
              response="AuditPage", query="AuditQuery"),
    Operation("exportAudit", "GET", f"{_T}/audit/export", "The audit chain as JSON Lines",
              "audit", AUDITOR, response="AuditExport", media_type="application/jsonl"),
    Operation("verifyAudit", "GET", f"{_T}/audit/verify", "Verify the audit chain", "audit",
              AUDITOR, response="ChainCheck"),
    Operation("getUsage", "GET", f"{_T}/usage", "Usage per day", "usage", USAGE_READERS,
              response="UsageReport", query="UsageQuery"),
)  # fmt: skip

# --- model registry: promotion governed by PlatformAdmins, read-only views for tenant users ----
_M = "models/{model}"
MODEL_OPERATIONS: tuple[Operation, ...] = (
    Operation("listModels", "GET", "models",
              "Registered models and the versions their global aliases name", "models",
              PLATFORM_ADMIN, scope="platform", response="ModelList"),
    Operation("listModelVersions", "GET", f"{_M}/versions",
              "Versions of a registered model, their aliases and latest evaluation", "models",
              PLATFORM_ADMIN, scope="platform", response="ModelVersionList"),
    Operation("proposePromotion", "POST", f"{_M}/versions/{{version}}/proposal",
              "Propose a version as challenger (the evaluation gate must pass)", "models",
              PLATFORM_ADMIN, scope="platform", request="PromotionTarget",
              response="PromotionView", status=201),
    Operation("decidePromotion", "POST", f"{_M}/versions/{{version}}/decision",
              "Approve (champion) or reject a proposal; not by its proposer", "models",
              PLATFORM_ADMIN, scope="platform", request="PromotionDecision",
              response="PromotionView"),
    Operation("rollbackModel", "POST", f"{_M}/rollback",
              "Point champion back at the version the last approval replaced", "models",
              PLATFORM_ADMIN, scope="platform", request="PromotionTarget",
              response="PromotionView"),
    Operation("listPromotions", "GET", f"{_M}/promotions",
              "The promotion record: proposals, decisions, refusals, rollbacks", "models",
              PLATFORM_ADMIN, scope="platform", response="PromotionHistory"),
    Operation("getModelCard", "GET", f"{_M}/versions/{{version}}/card",
              "A version's model card (JSON, or Markdown with Accept: text/markdown)", "models",
              ANY_TENANT_ROLE, query="CardQuery", response="ModelCard",
              alternative="text/markdown"),
    Operation("listTenantModelVersions", "GET", f"{_T}/{_M}/versions",
              "Versions of a registered model with the global and this tenant's aliases",
              "models", ANY_TENANT_ROLE, response="ModelVersionList"),
)  # fmt: skip
OPERATIONS += MODEL_OPERATIONS

BY_ID = {op.id: op for op in OPERATIONS}
