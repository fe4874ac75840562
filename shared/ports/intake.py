"""The intake ledger: webhook deliveries and the tasks they create, recorded atomically.

One ``begin`` is one transaction (possibly for several deliveries, each in a ``savepoint``).
Within it the intake service claims the delivery id (exactly once per tenant, provider and id),
takes a rate-limit token, looks for a task already active on the same source, and adds a task
or changes its status, with audit events — all committed together, or (on an exception, e.g.
when the rate limit refuses) nothing at all. The token is the one exception: the tenant's quota
lives with the control plane, its records in the tenant's own database, so a token taken for a
delivery whose transaction then fails is given back in a statement of its own (and stays spent
if that fails too).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.domain.approval import ApprovalDecision, ScmIdentity
from shared.domain.task import AgentTask, Provider, TaskStatus
from shared.domain.tenant import TenantLocation
from shared.policies.triggers.pushes import Push


@dataclass(frozen=True)
class DeliveryRecord:
    """What is kept of a delivery: the raw body and the headers that matter (never secrets)."""

    provider: Provider
    delivery_id: str
    event: str
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class PriorDelivery:
    """An earlier delivery with the same id: what it did, and when."""

    outcome: str
    task_id: str | None
    received_at: datetime


@dataclass(frozen=True)
class ActiveTask:
    id: str
    requester: str
    status: TaskStatus
    command: str


class IntakeTx(ABC):
    @abstractmethod
    def savepoint(self) -> AbstractContextManager[None]:
        """A part of the transaction that an exception undoes alone (the rest stays), so that
        one transaction can carry several deliveries (``shared/services/intake/batches.py``)."""

    @abstractmethod
    def claim(
        self, delivery: DeliveryRecord, outcome: str, task_id: str | None
    ) -> PriorDelivery | None:
        """Record the delivery with its intended outcome; if its id was seen before, record
        nothing and return the earlier one (a concurrent claim waits for the first to end)."""

    @abstractmethod
    def take_token(self) -> float | None:
        """Take one token from the tenant's webhook bucket: ``None`` when granted, else the
        seconds until one is available."""

    @abstractmethod
    def active_task(self, task: AgentTask) -> ActiveTask | None:
        """The task still active on ``task``'s source, if any. Serialises concurrent
        deliveries for the same source until the end of the transaction."""

    @abstractmethod
    def add_task(self, task: AgentTask) -> None:
        """Store the task as ``queued``."""

    @abstractmethod
    def set_status(self, task_id: str, status: TaskStatus) -> None: ...

    @abstractmethod
    def audit(
        self, *, kind: str, actor: str, data: dict[str, Any], task_id: str | None
    ) -> None: ...

    @abstractmethod
    def identities_of(self, identity: ScmIdentity) -> tuple[ScmIdentity, ...]:
        """``identity`` and the SCM identities linked to the same person (tenant's links)."""

    @abstractmethod
    def record_decision(self, decision: ApprovalDecision) -> bool:
        """Record an approval decision; ``False`` (nothing written) when the task has one."""

    @abstractmethod
    def settle(self, outcome: str, task_id: str | None) -> None:
        """Change the claimed delivery's outcome (when it differs from the one claimed)."""

    @abstractmethod
    def record_push(self, push: Push, delivery_id: str) -> int:
        """Record a default-branch push's commits and make its head the repository's wanted
        index commit (``shared/services/repo_index.py``); returns the push's id."""


class IntakeLedger(ABC):
    @abstractmethod
    def begin(self, location: TenantLocation) -> AbstractContextManager[IntakeTx]:
        """One transaction for the tenant at ``location``."""
