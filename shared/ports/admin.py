"""What the admin API reads and changes in a tenant's store beyond tasks' own flow.

Rows cross these ports as JSON-able dicts shaped like the API's models (``shared.api.models``).
Every method takes the tenant explicitly and runs in that tenant's store (its own role), so a
query can never see another tenant's rows; every change is audited in the same transaction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Page:
    """Keyset paging: rows after ``after`` (an opaque key from the last page), at most ``limit``."""

    after: tuple[Any, ...] | None = None
    limit: int = 50


@dataclass(frozen=True)
class TaskFilter:
    status: str | None = None
    requester: str | None = None
    repository: str | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    kind: str | None = None
    actor: str | None = None
    task_id: str | None = None


class Recorder(Protocol):
    def __call__(self, *, kind: str, actor: str, data: dict[str, Any]) -> None: ...


class RoleAssignments(ABC):
    @abstractmethod
    def roles_of(self, tenant: str, object_id: str) -> frozenset[str]:
        """The roles the tenant assigned to an Entra object id."""

    @abstractmethod
    def list(self, tenant: str) -> list[dict[str, Any]]: ...

    @abstractmethod
    def assign(self, tenant: str, object_id: str, role: str, *, actor: str) -> dict[str, Any]:
        """Grant (idempotent), audited as ``role.assigned``."""

    @abstractmethod
    def revoke(self, tenant: str, object_id: str, role: str, *, actor: str) -> None:
        """Revoke, audited as ``role.revoked``; ``NotFound`` when not assigned."""


class AdminReads(ABC):
    @abstractmethod
    def tasks(self, tenant: str, where: TaskFilter, page: Page) -> list[dict[str, Any]]:
        """Newest first; each row carries ``_key`` for the next page."""

    @abstractmethod
    def task(self, tenant: str, task_id: str) -> dict[str, Any]:
        """The task row with its lineage, or ``NotFound`` (``task-not-found``)."""

    @abstractmethod
    def llm_calls(self, tenant: str, task_id: str) -> list[dict[str, Any]]:
        """The task's LLM lineage rows (never their transcripts), oldest first."""

    @abstractmethod
    def awaiting_decision(self, tenant: str) -> list[dict[str, Any]]:
        """Tasks waiting for approval with no recorded decision, oldest first."""

    @abstractmethod
    def audit_events(self, tenant: str, where: AuditFilter, page: Page) -> list[dict[str, Any]]:
        """In chain order; each row carries ``_key`` for the next page."""

    @abstractmethod
    def usage(
        self, tenant: str, since: datetime | None, until: datetime | None
    ) -> list[dict[str, Any]]:
        """Per UTC day: LLM calls, tokens and cost from the LLM lineage rows, tasks received by
        outcome, and the average lead time of the tasks that finished."""

    @abstractmethod
    def cancel(self, tenant: str, task_id: str, *, actor: str) -> dict[str, Any]:
        """Mark an active task cancelled (audited ``task.cancelled``); ``Conflict``
        (``task-finished``) when it already ended."""

    @abstractmethod
    def record(self, tenant: str, *, kind: str, actor: str, data: dict[str, Any]) -> None:
        """Append an event to the tenant's audit chain (a change made elsewhere)."""

    @abstractmethod
    def exclusive(self, tenant: str, name: str) -> AbstractContextManager[Recorder]:
        """Hold the tenant's lock ``name`` until the block ends, and audit through the
        ``Recorder`` it gives, in the same transaction: read-compare-write under it is atomic
        against every other holder (the policies' If-Match)."""


class TaskSlots(ABC):
    """The tenant's ``max_concurrent_tasks``: how many of its tasks may run at once."""

    @abstractmethod
    def claim(self, tenant: str, task_id: str) -> bool:
        """Mark the task running if fewer than the quota are (``True``), else leave it queued
        (``False``). Claims of one tenant are serialised, so the quota is never overshot.
        Tasks waiting for approval or finished hold no slot."""
