"""The admin API's bodies for the audit trail (queries, pages, the export, the chain check) and
the usage report (per day and per model)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.api.models import PageQuery, Request


class AuditQuery(PageQuery):
    since: datetime | None = None
    until: datetime | None = None
    kind: str | None = Field(default=None, max_length=100)
    actor: str | None = Field(default=None, max_length=300)


class UsageQuery(Request):
    since: datetime | None = None
    until: datetime | None = None


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
