"""The unit of work: an ``AgentTask``, normalised from any SCM's webhook."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Provider(StrEnum):
    GITHUB = "github"
    GITLAB = "gitlab"
    AZURE_DEVOPS = "azure-devops"
    LOCAL_GIT = "local_git"


class SourceKind(StrEnum):
    ISSUE = "issue"
    WORK_ITEM = "work_item"
    PULL_REQUEST = "pull_request"
    MERGE_REQUEST = "merge_request"


class Command(StrEnum):
    FIX = "fix"
    IMPLEMENT = "implement"
    REVIEW = "review"
    CANCEL = "cancel"
    APPROVE = "approve"
    REJECT = "reject"


class TaskStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"
    COMPLETED = "completed"
    FAILED = "failed"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    NOT_AUTHORISED = "not_authorised"  # its requester may not push to the repository


#: Statuses of a task that may still act (open PRs, call LLMs): deprovisioning waits for them.
ACTIVE_TASK_STATUSES = frozenset(
    {TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.AWAITING_APPROVAL}
)


@dataclass(frozen=True)
class AgentTask:
    """One request for the agent, whatever SCM it came from.

    ``id`` doubles as the Durable instance id; ``delivery_id`` is the SCM's delivery id used for
    idempotency; ``source_id`` is the issue / work item / PR number as text.
    """

    id: str
    tenant: str
    provider: Provider
    repository: str
    source_kind: SourceKind
    source_id: str
    command: Command
    instruction: str
    requester: str
    delivery_id: str
    received_at: datetime
    title: str = ""
    source_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["received_at"] = self.received_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AgentTask:
        return cls(
            **{
                **data,
                "provider": Provider(data["provider"]),
                "source_kind": SourceKind(data["source_kind"]),
                "command": Command(data["command"]),
                "received_at": datetime.fromisoformat(data["received_at"]),
            }
        )
