"""The reconciler's ledger in PostgreSQL: stuck tasks and their stored deliveries, both in the
tenant's own database; every read and write runs as the tenant's role, each write with its audit
event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.tasks import record_dead_letter, update_task
from shared.domain.approval import VERIFIED
from shared.domain.task import TaskStatus
from shared.domain.tenant import TenantLocation
from shared.ports.reconcile import ReconcileLedger, StoredDelivery, StuckTask

ACTOR = "system:reconciler"
REDRIVEN = "task.redriven"


def _stuck(row: dict[str, object]) -> StuckTask:
    updated = row["updated_at"]
    assert isinstance(updated, datetime)
    delivery = row["delivery_id"]
    return StuckTask(
        str(row["id"]),
        TaskStatus(str(row["status"])),
        str(row["provider"]),
        None if delivery is None else str(delivery),
        updated,
        int(str(row["redrives"])),
    )


class PostgresReconcileLedger(ReconcileLedger):
    def __init__(self, db: Database, audit: PostgresAuditLog) -> None:
        self._db = db
        self._audit = audit

    def stuck(
        self, location: TenantLocation, *, queued_before: datetime, idle_before: datetime
    ) -> list[StuckTask]:
        with self._db.tenant_transaction(location) as tx:
            rows = tx.conn.execute(
                "SELECT t.id, t.status, t.provider, t.delivery_id, t.updated_at,"
                " (SELECT count(*) FROM audit_events a"
                "   WHERE a.task_id = t.id AND a.kind = %s) AS redrives"
                " FROM tasks t WHERE (t.status = 'queued' AND t.created_at < %s)"
                " OR (t.status = 'running' AND t.updated_at < %s) ORDER BY t.created_at",
                (REDRIVEN, queued_before, idle_before),
            ).fetchall()
        return [_stuck(r) for r in rows]

    def undelivered_decisions(
        self, location: TenantLocation, *, decided_before: datetime
    ) -> list[tuple[str, str]]:
        with self._db.tenant_transaction(location) as tx:
            rows = tx.conn.execute(
                "SELECT t.id AS task_id, a.id AS decision_id FROM tasks t"
                " JOIN approval_events a ON a.task_id = t.id"
                " WHERE t.status = 'awaiting_approval' AND a.decided_at < %s"
                " AND NOT EXISTS (SELECT 1 FROM audit_events v WHERE v.task_id = t.id"
                "   AND v.kind = %s AND v.data->>'decision_id' = a.id::text)"
                " ORDER BY a.decided_at",
                (decided_before, VERIFIED),
            ).fetchall()
        return [(str(r["task_id"]), str(r["decision_id"])) for r in rows]

    def delivery(
        self, location: TenantLocation, provider: str, delivery_id: str
    ) -> StoredDelivery | None:
        with self._db.tenant_transaction(location) as tx:
            row = tx.conn.execute(
                "SELECT headers, body, received_at FROM webhook_deliveries"
                " WHERE provider = %s AND delivery_id = %s",
                (provider, delivery_id),
            ).fetchone()
        if row is None or row["body"] is None:
            return None
        headers, body, received = row["headers"], row["body"], row["received_at"]
        assert isinstance(headers, dict) and isinstance(body, bytes | memoryview)
        assert isinstance(received, datetime)
        return StoredDelivery({str(k): str(v) for k, v in headers.items()}, bytes(body), received)

    def note(self, location: TenantLocation, task_id: str, kind: str, data: dict[str, Any]) -> None:
        with self._db.tenant_transaction(location) as tx:
            tx.conn.execute("UPDATE tasks SET updated_at = now() WHERE id = %s", (task_id,))
            self._audit.append(tx, kind=kind, actor=ACTOR, data=data, task_id=task_id)

    def dead_letter(
        self,
        location: TenantLocation,
        task_id: str,
        code: str,
        message: str,
        details: dict[str, Any],
    ) -> None:
        with self._db.tenant_transaction(location) as tx:
            update_task(tx, task_id, status=TaskStatus.FAILED, step="dead-lettered")
            record_dead_letter(
                tx, task_id, step="reconcile", error_code=code, message=message, details=details
            )
            self._audit.append(
                tx,
                kind="task.dead-lettered",
                actor=ACTOR,
                data={"code": code, "message": message, **details},
                task_id=task_id,
            )

    def dead_letters(self, location: TenantLocation) -> int:
        with self._db.tenant_transaction(location) as tx:
            row = tx.conn.execute("SELECT count(*) AS n FROM dead_letters").fetchone()
        return 0 if row is None else int(str(row["n"]))
