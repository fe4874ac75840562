"""Tasks in the tenant's schema: read, move through statuses, accumulate lineage.

Every function takes the caller's ``TenantTx`` so the change commits together with its audit
event (and runs as the tenant's role).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.adapters.store.postgres.database import TenantTx
from shared.domain.errors import NotFound
from shared.domain.task import TaskStatus

_COLUMNS = (
    "id, provider, repository, source_kind, source_id, command, instruction, requester, "
    "delivery_id, status, step, result, lineage, pr_url, approver, created_at, updated_at"
)


@dataclass(frozen=True)
class TaskRecord:
    """A task row as stored (the ``AgentTask`` plus where it stands)."""

    id: str
    provider: str
    repository: str
    source_kind: str
    source_id: str
    command: str
    instruction: str
    requester: str
    delivery_id: str | None
    status: TaskStatus
    step: str | None
    result: dict[str, Any] | None
    lineage: dict[str, Any]
    pr_url: str | None
    approver: str | None
    created_at: datetime
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["status"] = str(self.status)
        data["created_at"] = self.created_at.isoformat()
        data["updated_at"] = self.updated_at.isoformat()
        return data


def _record(row: dict[str, Any]) -> TaskRecord:
    return TaskRecord(**{**row, "status": TaskStatus(row["status"])})


def get_task(tx: TenantTx, task_id: str, *, for_update: bool = False) -> TaskRecord:
    lock = " FOR UPDATE" if for_update else ""
    row = tx.conn.execute(
        f"SELECT {_COLUMNS} FROM tasks WHERE id = %s{lock}", (task_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no task {task_id!r} for tenant {tx.tenant!r}", code="task-not-found")
    return _record(row)


def update_task(
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
    """Set the given fields; ``lineage`` is merged (shallow) into the stored lineage."""
    row = tx.conn.execute(
        f"""UPDATE tasks SET
               status = COALESCE(%s, status),
               step = COALESCE(%s, step),
               result = COALESCE(%s::jsonb, result),
               lineage = lineage || COALESCE(%s::jsonb, '{{}}'::jsonb),
               pr_url = COALESCE(%s, pr_url),
               approver = COALESCE(%s, approver),
               updated_at = now()
           WHERE id = %s RETURNING {_COLUMNS}""",
        (
            None if status is None else str(status),
            step,
            None if result is None else json.dumps(result),
            None if lineage is None else json.dumps(lineage, default=str),
            pr_url,
            approver,
            task_id,
        ),
    ).fetchone()
    if row is None:
        raise NotFound(f"no task {task_id!r} for tenant {tx.tenant!r}", code="task-not-found")
    return _record(row)


def record_dead_letter(
    tx: TenantTx,
    task_id: str,
    *,
    step: str,
    error_code: str,
    message: str,
    details: dict[str, Any],
) -> None:
    tx.conn.execute(
        "INSERT INTO dead_letters (task_id, step, error_code, message, details) "
        "VALUES (%s, %s, %s, %s, %s)",
        (task_id, step, error_code, message, json.dumps(details, default=str)),
    )
