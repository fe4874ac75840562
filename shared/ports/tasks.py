"""Tasks as the use cases see them: read one, move it on, leave a dead letter.

Every call takes the caller's tenant transaction (from ``transaction``), so a task's change
commits together with its audit event (``AuditLog.append`` takes the same ``tx``) and runs with
the tenant's rights only.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from shared.domain.task import TaskStatus
from shared.domain.tenant import TenantLocation


class StoredTask(Protocol):
    """A task as stored: the ``AgentTask`` plus where it stands."""

    @property
    def id(self) -> str: ...
    @property
    def requester(self) -> str: ...
    @property
    def status(self) -> TaskStatus: ...
    @property
    def lineage(self) -> dict[str, Any]: ...
    @property
    def updated_at(self) -> datetime: ...

    def to_json(self) -> dict[str, Any]: ...


class TaskStore(Protocol):
    """Tenant-scoped task storage; ``NotFound`` (code ``task-not-found``) for an unknown id."""

    def transaction(self, location: TenantLocation) -> AbstractContextManager[Any]:
        """One transaction in the tenant at ``location``, as its role; commits on exit."""
        ...

    def get(self, tx: Any, task_id: str, *, for_update: bool = False) -> StoredTask:
        """The task; ``for_update`` locks it until the transaction ends."""
        ...

    def update(
        self,
        tx: Any,
        task_id: str,
        *,
        status: TaskStatus | None = None,
        step: str | None = None,
        result: dict[str, Any] | None = None,
        lineage: dict[str, Any] | None = None,
        pr_url: str | None = None,
        approver: str | None = None,
    ) -> StoredTask:
        """Set the given fields; ``lineage`` is merged (shallow) into the stored lineage."""
        ...

    def record_dead_letter(
        self,
        tx: Any,
        task_id: str,
        *,
        step: str,
        error_code: str,
        message: str,
        details: dict[str, Any],
    ) -> None:
        """Keep a failed task's failing step and error for an operator to inspect."""
        ...
