"""The intake service's command and result types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.domain.task import AgentTask


@dataclass(frozen=True)
class ReceiveDelivery:
    """One webhook request as the trigger received it. Header names are lower-case."""

    provider: str
    tenant: str
    headers: Mapping[str, str]
    body: bytes
    received_at: datetime


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # a new task; its orchestration was started
    DUPLICATE = "duplicate"  # this delivery id was seen before: the first one's task
    RUNNING = "running"  # a task is already active on the same source
    CANCELLED = "cancelled"
    APPROVAL_SENT = "approval-sent"
    IGNORED = "ignored"
    RECORDED = "recorded"  # a push to a connected default branch: its commits were recorded


@dataclass(frozen=True)
class IntakeResult:
    outcome: Outcome
    task_id: str | None = None
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.outcome.value}
        if self.task_id is not None:
            body["task_id"] = self.task_id
        if self.reason:
            body["reason"] = self.reason
        return body


def audit_actor(task: AgentTask) -> str:
    """Who an intake audit event names: the SCM account that sent the command."""
    return f"{task.provider.value}:{task.requester}"
