"""The admin API's bodies for the platform's tenants and a tenant's administration: connections
and their secrets, trigger and patch policies, model routes, identity links and role
assignments."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.api.models import Request

ProviderName = Literal["github", "gitlab", "azure-devops", "local_git"]
WebhookProvider = Literal["github", "gitlab", "azure-devops"]


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
