"""The admin API's model registry bodies (``MODEL_OPERATIONS``): promotion decided by
PlatformAdmins, read-only views for a tenant's users. Kept apart like the admin API's other
resources (``shared.api.*_models``); ``shared.api.openapi.model`` finds a name in any of them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.api.models import Request


class ModelSummary(BaseModel):
    name: str
    champion: int | None = Field(description="the version the global alias names")
    challenger: int | None


class ModelList(BaseModel):
    items: list[ModelSummary]


class TenantAliasView(BaseModel):
    tenant: str
    alias: Literal["champion", "challenger"]


class EvaluationView(BaseModel):
    suite: str
    suite_version: str
    run_id: str
    tasks: float
    resolved: float = Field(description="fraction of the suite's tasks solved")
    applied: float
    well_formed: float
    tokens: float
    cost_usd: float
    latency_ms: float


class ModelVersionView(BaseModel):
    name: str
    version: int
    uri: str = Field(description="models:/NAME/VERSION, as lineage records it")
    provider: str
    model: str
    model_version: str | None
    prompt: str
    prompt_hash: str
    edit_format: str
    description: str
    created_by: str
    created_at: str | None
    aliases: list[Literal["champion", "challenger"]] = Field(description="global aliases")
    tenant_aliases: list[TenantAliasView] = Field(
        description="per-tenant aliases: every tenant's for PlatformAdmins, the caller's own "
        "tenant's otherwise"
    )
    latest_evaluation: EvaluationView | None
    card: str | None = Field(description="the model card's API path")


class ModelVersionList(BaseModel):
    items: list[ModelVersionView]


class PromotionTarget(Request):
    tenant: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9-]{1,40}$",
        description="the tenant whose own alias moves; absent: the global alias",
    )


class PromotionDecision(PromotionTarget):
    decision: Literal["approve", "reject"]
    comment: str = Field(default="", max_length=4000)


class PromotionView(BaseModel):
    model: str
    version: int
    alias: Literal["champion", "challenger"]
    tenant: str | None
    action: Literal["proposed", "approved", "rejected", "refused", "rolled-back"]
    actor: str
    reason: str
    gate: dict[str, Any] = Field(description="the gate's verdict, when it was checked")
    previous: int | None = Field(description="the version the alias named before this step")
    at: str | None


class PromotionHistory(BaseModel):
    items: list[PromotionView]


class CardQuery(Request):
    tenant: str = Field(pattern=r"^[a-z][a-z0-9-]{1,40}$", description="the caller's tenant")


class ModelCard(BaseModel):
    """The card's sections (``shared.services.models.cards.SECTIONS``); as Markdown with
    ``Accept: text/markdown``."""

    model_config = ConfigDict(extra="allow")
    name: str
    version: int
    uri: str
    model_details: dict[str, Any]
    intended_use: str
    out_of_scope_uses: list[str]
    data_statement: str
    evaluation_results: list[dict[str, Any]]
    limitations: list[str]
    risks: list[str]
    approvals: list[dict[str, Any]]
    version_history: list[dict[str, Any]]
