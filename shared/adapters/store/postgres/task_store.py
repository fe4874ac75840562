"""The ``TaskStore`` port on PostgreSQL: tenant transactions of ``Database`` and the task
functions of ``tasks``."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from shared.adapters.store.postgres.database import Database, TenantTx
from shared.adapters.store.postgres.tasks import (
    TaskRecord,
    get_task,
    record_dead_letter,
    update_task,
)
from shared.domain.task import TaskStatus
from shared.domain.tenant import TenantLocation
from shared.ports.tasks import TaskStore


class PostgresTaskStore(TaskStore):
    def __init__(self, db: Database) -> None:
        self._db = db

    def transaction(self, location: TenantLocation) -> AbstractContextManager[TenantTx]:
        return self._db.tenant_transaction(location)

    def get(self, tx: TenantTx, task_id: str, *, for_update: bool = False) -> TaskRecord:
        return get_task(tx, task_id, for_update=for_update)

    def update(
        self,
        tx: TenantTx,
        task_id: str,
        *,
        status: TaskStatus | None = None,
        step: str | None = None,
        result: dict[str, Any] | None = None,
        lineage: dict[str, Any] | None = None,
        pr_url: str | None = None,
        approver: str | None = None,
    ) -> TaskRecord:
        return update_task(
            tx,
            task_id,
            status=status,
            step=step,
            result=result,
            lineage=lineage,
            pr_url=pr_url,
            approver=approver,
        )

    def record_dead_letter(
        self,
        tx: TenantTx,
        task_id: str,
        *,
        step: str,
        error_code: str,
        message: str,
        details: dict[str, Any],
    ) -> None:
        record_dead_letter(
            tx, task_id, step=step, error_code=error_code, message=message, details=details
        )
