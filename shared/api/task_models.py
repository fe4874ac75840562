"""The admin API's bodies for tasks and approvals: the task list and query, the task page (its
review diff, risk, check and approval state), the timeline, decisions and the approval queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.api.models import PageQuery, Request, TenantRoleName

TaskStatusName = Literal[
    "queued", "running", "awaiting_approval", "completed", "failed", "rejected", "expired",
    "cancelled",
]  # fmt: skip


class TaskQuery(PageQuery):
    status: TaskStatusName | None = None
    requester: str | None = Field(default=None, max_length=200)
    repository: str | None = Field(default=None, max_length=300)
    since: datetime | None = None


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
