"""What the reconciler reads and writes: tasks that stopped moving, and their stored deliveries.

A task is *unstarted* when it is still ``queued`` some time after intake committed it (its
orchestration start may have failed after the commit), and *stalled* when it is ``running`` but
has not changed for longer than a deadline. Every action the reconciler takes is one
transaction with its audit event; a dead letter also fails the task.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.domain.task import TaskStatus
from shared.domain.tenant import TenantLocation


@dataclass(frozen=True)
class StuckTask:
    id: str
    status: TaskStatus
    provider: str
    delivery_id: str | None
    updated_at: datetime
    redrives: int  # how often the reconciler already re-drove it


@dataclass(frozen=True)
class StoredDelivery:
    headers: Mapping[str, str]
    body: bytes
    received_at: datetime


class ReconcileLedger(ABC):
    @abstractmethod
    def stuck(
        self, location: TenantLocation, *, queued_before: datetime, idle_before: datetime
    ) -> list[StuckTask]:
        """Tasks queued before ``queued_before`` or running unchanged since ``idle_before``."""

    @abstractmethod
    def undelivered_decisions(
        self, location: TenantLocation, *, decided_before: datetime
    ) -> list[tuple[str, str]]:
        """(task id, decision id) of each task still awaiting approval although its decision
        was recorded before ``decided_before`` and its orchestration has not verified it (no
        ``approval.verified`` event): its ``approval`` event may never have been raised (the
        host crashed or was unreachable between the record and the raise). A verified decision
        was delivered, although the task stays ``awaiting_approval`` until it finishes."""

    @abstractmethod
    def delivery(
        self, location: TenantLocation, provider: str, delivery_id: str
    ) -> StoredDelivery | None:
        """The stored delivery (``None`` when gone or its body was purged)."""

    @abstractmethod
    def note(self, location: TenantLocation, task_id: str, kind: str, data: dict[str, Any]) -> None:
        """Append audit event ``kind`` for the task and mark the task as touched now."""

    @abstractmethod
    def dead_letter(
        self,
        location: TenantLocation,
        task_id: str,
        code: str,
        message: str,
        details: dict[str, Any],
    ) -> None:
        """Fail the task, record a dead letter and audit ``task.dead-lettered`` (together)."""

    @abstractmethod
    def dead_letters(self, location: TenantLocation) -> int:
        """How many dead letters the tenant has."""
