"""The admin API's request and response bodies: the pydantic models the OpenAPI document is
generated from. Requests forbid unknown fields (a typo is a 400, not silently ignored)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ProviderName = Literal["github", "gitlab", "azure-devops", "local_git"]
WebhookProvider = Literal["github", "gitlab", "azure-devops"]
TaskStatusName = Literal[
    "queued", "running", "awaiting_approval", "completed", "failed", "rejected", "expired",
    "cancelled",
]  # fmt: skip


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """RFC 9457 problem details; ``code`` is the machine-readable error."""

    type: str
    title: str
    status: int
    detail: str
    code: str


class OpenApiDocument(BaseModel):
    model_config = ConfigDict(extra="allow")
    openapi: str


# --- paging and queries ----------------------------------------------------------------------
class PageQuery(Request):
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=50, ge=1, le=200)


class TaskQuery(PageQuery):
    status: TaskStatusName | None = None
    requester: str | None = Field(default=None, max_length=200)
    repository: str | None = Field(default=None, max_length=300)
    since: datetime | None = None


class AuditQuery(PageQuery):
    since: datetime | None = None
    until: datetime | None = None
    kind: str | None = Field(default=None, max_length=100)
    actor: str | None = Field(default=None, max_length=300)


class UsageQuery(Request):
    since: datetime | None = None
    until: datetime | None = None


# --- platform --------------------------------------------------------------------------------
class TenantCreate(Request):
    slug: str = Field(pattern=r"^[a-z][a-z0-9-]{1,40}$")
    display_name: str = Field(min_length=1, max_length=200)
    entra_tenant_id: str = Field(pattern=r"^[0-9a-fA-F-]{36}$")


class TenantView(BaseModel):
    slug: str
    display_name: str
    status: Literal["active", "disabled"]
    created_at: datetime
    entra_tenant_id: str | None


class TenantPage(BaseModel):
    items: list[TenantView]
    next_cursor: str | None


class Quotas(Request):
    webhook_rate_per_sec: float = Field(ge=0, le=10_000)
    webhook_burst: int = Field(ge=1, le=100_000)
    max_concurrent_tasks: int = Field(ge=1, le=10_000)
    daily_token_budget: int = Field(ge=0, le=10**12)
    daily_cost_budget_usd: float = Field(ge=0, le=10**7)


# --- tenant administration -------------------------------------------------------------------
class ConnectionCreate(Request):
    provider: WebhookProvider | Literal["local_git"] = Field(description="who sends the events")
    repository: str = Field(
        max_length=300,
        pattern=r"^[^/\x00-\x1f]+(/[^/\x00-\x1f]+)+$",
        description="owner/name, group/project, project/repository or a local_git path",
    )
    backend: ProviderName | None = Field(
        default=None, description="serving SCM (default: provider)"
    )
    base_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    token: str | None = Field(default=None, min_length=1, max_length=4000, description="write-only")


class ConnectionView(BaseModel):
    id: int
    provider: str
    repository: str
    backend: str
    base_url: str | None
    has_token: bool


class ConnectionList(BaseModel):
    items: list[ConnectionView]


class ConnectivityResult(BaseModel):
    ok: bool
    default_branch: str | None = None
    error: str | None = None


class TokenRotation(Request):
    token: str = Field(min_length=1, max_length=4000)


class SecretRotation(Request):
    overlap_seconds: int = Field(default=3600, ge=0, le=7 * 24 * 3600)


class RotatedSecret(BaseModel):
    provider: str
    secret: str = Field(description="shown once; store it in the SCM's webhook settings")
    previous_valid_until: datetime | None


class TriggerPolicy(BaseModel):
    """``tenant.settings["triggers"]``; validated by the trigger rules themselves."""

    model_config = ConfigDict(extra="allow")
    agent_label: str | None = Field(default=None, max_length=100)
    agent_tag: str | None = Field(default=None, max_length=100)
    command_prefix: str | None = Field(default=None, max_length=50)
    agent_accounts: list[str] | None = Field(default=None, max_length=500)
    allowed_approvers: list[str] | None = Field(default=None, max_length=500)
    denied_authors: list[str] | None = Field(default=None, max_length=500)
    allowed_authors: list[str] | None = Field(default=None, max_length=500)
    writer_groups: list[str] | None = Field(default=None, max_length=100)
    refusal_reply_minutes: int | None = Field(default=None, ge=0, le=7 * 24 * 60)
    allow_confidential: bool | None = None
    providers: list[WebhookProvider] | None = None
    azure_devops_secret_header: str | None = Field(default=None, max_length=100)


class PatchPolicy(Request):
    allowed_paths: list[str] | None = Field(default=None, max_length=500)
    denied_paths: list[str] | None = Field(default=None, max_length=500)
    check_command: list[str] | None = Field(default=None, max_length=100)
    check_timeout_s: int | None = Field(default=None, ge=1, le=3600)
    approval: Literal["always", "risk", "never"] | None = None
    approval_timeout_hours: float | None = Field(default=None, gt=0, le=24 * 90)
    max_attempts: int | None = Field(default=None, ge=1, le=10)
    max_files: int | None = Field(default=None, ge=1, le=10_000)
    max_changed_lines: int | None = Field(default=None, ge=1, le=1_000_000)
    context_budget_tokens: int | None = Field(default=None, ge=100, le=1_000_000)
    sensitive_paths: list[str] | None = Field(default=None, max_length=500)
    edit_format: Literal["udiff", "search-replace", "whole"] | None = None


class LlmRouteBody(Request):
    provider: Literal["ollama", "openai", "azure-openai", "anthropic", "scripted"]
    model: str = Field(min_length=1, max_length=200)
    endpoint: str | None = Field(default=None, max_length=500)
    timeout_s: float | None = Field(default=None, gt=0, le=3600)
    edit_format: Literal["udiff", "search-replace", "whole"] | None = None
    api_version: str | None = Field(default=None, max_length=50)


class ModelRoute(Request):
    routes: list[LlmRouteBody] = Field(max_length=20)


class IdentityLinkBody(Request):
    object_id: str = Field(min_length=1, max_length=100)


class IdentityLinkView(BaseModel):
    provider: str
    scm_user: str
    object_id: str
    linked_by: str
    linked_at: str | None = None


class IdentityLinkList(BaseModel):
    links: list[IdentityLinkView]


class RoleAssignmentView(BaseModel):
    object_id: str
    role: Literal["TenantAdmin", "Approver", "Auditor", "Viewer"]
    assigned_by: str
    assigned_at: datetime


class RoleAssignmentList(BaseModel):
    items: list[RoleAssignmentView]


# --- tasks and approvals ---------------------------------------------------------------------
class TaskSummary(BaseModel):
    id: str
    provider: str
    repository: str
    source_kind: str
    source_id: str
    command: str
    requester: str
    status: TaskStatusName
    step: str | None
    pr_url: str | None
    approver: str | None
    created_at: datetime
    updated_at: datetime


class TaskPage(BaseModel):
    items: list[TaskSummary]
    next_cursor: str | None


class LlmCallView(BaseModel):
    id: str
    occurred_at: datetime
    attempt: int
    provider: str
    model: str
    model_version: str | None
    template: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    outcome: str
    scripted: bool


class TaskDetail(TaskSummary):
    """A task with its lineage and what the console's task page shows. Every text in it went
    through the tenant's secret redaction when it was read (``<REDACTED:kind:xxxxxxxx>``)."""

    instruction: str
    result: dict[str, Any] | None
    lineage: dict[str, Any] = Field(description="the lineage, less the review shown apart")
    llm_calls: list[LlmCallView]
    review: ReviewView | None = Field(description="the diff a human reviews (None: none recorded)")
    risk: RiskView | None
    check: CheckView | None = Field(description="the sandboxed check of the answer reviewed")
    model_card: str | None = Field(
        description="API path of the card of the registry version that answered"
    )
    approval: ApprovalState


# --- console: who am I, the tenant picker, the task page ---------------------------------------
TenantRoleName = Literal["TenantAdmin", "Approver", "Auditor", "Viewer"]


class UserView(BaseModel):
    preferred_username: str
    object_id: str


class TenantRef(BaseModel):
    slug: str
    display_name: str


class ConsoleActions(BaseModel):
    """What the caller's roles allow, read from the operation table (what the API enforces)."""

    approve: bool = Field(description="decideTask (a task still refuses its own requester)")
    cancel: bool = Field(description="cancelTask on any task (requesters: their own)")
    admin_settings: bool = Field(description="policies, connections, identities, roles")
    audit: bool = Field(description="queryAudit, verifyAudit, exportAudit")
    usage: bool = Field(description="getUsage")


class WhoAmI(BaseModel):
    tenant: TenantRef
    user: UserView
    roles: list[TenantRoleName] = Field(description="every role the grants include")
    token_roles: list[TenantRoleName] = Field(description="the token's roles that count here")
    assigned_roles: list[TenantRoleName] = Field(description="this tenant's role assignments")
    may: ConsoleActions


class TenantChoice(TenantRef):
    roles: list[TenantRoleName]


class MyTenants(BaseModel):
    """The tenants the caller may pick: a PlatformAdmin (of the operators' directory) sees every
    tenant; anyone else the tenants bound to their token's directory where they hold a role."""

    user: UserView
    directory: str
    platform_admin: bool
    tenants: list[TenantChoice]


class DiffLine(BaseModel):
    kind: Literal["context", "added", "removed"]
    old_line: int | None = Field(description="line number on the left (old) side")
    new_line: int | None = Field(description="line number on the right (new) side")
    text: str


class DiffHunk(BaseModel):
    header: str
    lines: list[DiffLine]


class FileDiff(BaseModel):
    path: str
    old_path: str | None
    new_path: str | None
    change: Literal["modified", "added", "deleted", "renamed"]
    added: int
    removed: int
    hunks: list[DiffHunk]


class ReviewView(BaseModel):
    diff: str = Field(description="the unified diff (redacted, at most 200 000 characters)")
    truncated: bool
    files: list[FileDiff] = Field(description="the same diff per file, for a side-by-side view")


class RiskView(BaseModel):
    model_config = ConfigDict(extra="allow")
    level: Literal["low", "medium", "high"]
    reasons: list[str]
    approval_required: bool


class CheckView(BaseModel):
    state: Literal["passed", "failed", "unchecked"]
    command: str
    exit_code: int | None
    timed_out: bool
    reason: str | None
    detail: str
    output_tail: str = Field(description="the last output of the check (redacted, bounded)")


class DecisionRecord(BaseModel):
    decision: Literal["approve", "reject"]
    approver: str
    via: Literal["api", "comment"]
    comment: str
    decided_at: datetime


class ApprovalState(BaseModel):
    state: Literal["not-requested", "awaiting", "approved", "rejected", "undecided"] = Field(
        description="undecided: approval was asked for but the task ended without a decision"
    )
    deciders: list[TenantRoleName] = Field(description="roles that may decide")
    requester: str = Field(description="who may not decide (any of their linked accounts)")
    unlinked_approvers: bool = Field(description="callers with no linked SCM account may decide")
    decisions: list[DecisionRecord]
    caller_may_decide: bool
    caller_refusal: str | None = Field(description="why not, as decideTask's problem code")


class TimelineEntry(BaseModel):
    at: datetime
    kind: str
    actor: str
    status: TaskStatusName | None = Field(description="the status this event moved the task to")
    data: dict[str, Any]


class Timeline(BaseModel):
    task: str
    entries: list[TimelineEntry]


class DecisionBody(Request):
    decision: Literal["approve", "reject"]
    comment: str = Field(default="", max_length=4000)


class DecisionView(BaseModel):
    model_config = ConfigDict(extra="allow")
    task: str
    decision_id: str
    decision: Literal["approve", "reject"]


class QueueItem(BaseModel):
    task: TaskSummary
    diff: str | None
    risk: dict[str, Any] | None
    check: dict[str, Any] | None


class ApprovalQueue(BaseModel):
    items: list[QueueItem]


# --- audit and usage -------------------------------------------------------------------------
class AuditEventView(BaseModel):
    seq: int
    event_id: str
    occurred_at: datetime
    actor: str
    kind: str
    task_id: str | None
    data: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEventView]
    next_cursor: str | None


class AuditExport(BaseModel):
    """Each line of the export is one ``AuditEventView`` as canonical JSON."""

    model_config = ConfigDict(extra="allow")


class ChainCheck(BaseModel):
    ok: bool
    checked: int
    broken_at: int | None
    reason: str | None


class ModelUsage(BaseModel):
    """One model's share of a day (or of the totals): the per-model split of a cost chart."""

    provider: str
    model: str
    llm_calls: int
    input_tokens: int
    output_tokens: int
    tokens: int
    cost_usd: float


class UsageDay(BaseModel):
    day: str
    llm_calls: int
    input_tokens: int
    output_tokens: int
    tokens: int
    cost_usd: float
    tasks_by_outcome: dict[str, int]
    lead_time_s_avg: float | None = Field(description="received to finished, finished tasks")
    models: list[ModelUsage] = Field(description="per provider and model, highest cost first")


class UsageReport(BaseModel):
    days: list[UsageDay]
    totals: UsageDay
