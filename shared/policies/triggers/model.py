"""What trigger rules take (an authenticated ``Delivery``) and give (a task or ``Ignored``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.domain.task import AgentTask, Command, Provider, SourceKind

# Fixed namespace for task ids: uuid5(tenant, provider, delivery id) is the same on every retry.
_TASK_NAMESPACE = uuid.UUID("6b1f1f53-2f4e-4a8e-9d7c-3c1e6f0a4b21")


def task_id_for(tenant: str, provider: Provider, delivery_id: str) -> str:
    """The task id (and Durable instance id) a delivery gets: deterministic, so that a retried
    delivery can never produce a second task, and the instance id is known before commit."""
    return str(uuid.uuid5(_TASK_NAMESPACE, f"{tenant}\n{provider.value}\n{delivery_id}"))


@dataclass(frozen=True)
class Delivery:
    """One authenticated webhook delivery, parsed but not yet interpreted."""

    tenant: str
    provider: Provider
    event: str
    delivery_id: str
    payload: Mapping[str, Any]
    received_at: datetime


@dataclass(frozen=True)
class Ignored:
    """A delivery the agent does not act on; ``reason`` is a stable, machine-readable code."""

    reason: str
    detail: str = ""


@dataclass(frozen=True)
class Source:
    """The issue, work item, PR or MR a delivery is about."""

    repository: str
    kind: SourceKind
    id: str
    title: str = ""
    description: str = ""
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """Title and description: the instruction when the requester gave none."""
        return f"{self.title.strip()}\n\n{self.description.strip()}".strip()


def build_task(
    delivery: Delivery, source: Source, command: Command, instruction: str, requester: str
) -> AgentTask:
    return AgentTask(
        id=task_id_for(delivery.tenant, delivery.provider, delivery.delivery_id),
        tenant=delivery.tenant,
        provider=delivery.provider,
        repository=source.repository,
        source_kind=source.kind,
        source_id=source.id,
        command=command,
        instruction=instruction.strip(),
        requester=requester,
        delivery_id=delivery.delivery_id,
        received_at=delivery.received_at,
        title=source.title,
        source_url=source.url,
        extra={"event": delivery.event, **source.extra},
    )
