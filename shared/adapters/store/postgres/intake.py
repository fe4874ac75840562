"""The intake ledger in PostgreSQL: the tenant database's ``webhook_deliveries`` and ``tasks``.

One tenant transaction (the tenant's role, in its own database) holds the delivery claim, the
task and its audit events, so they commit together. The claim is an ``INSERT ... ON CONFLICT DO
NOTHING`` on the delivery's unique key: a concurrent duplicate waits for the first transaction and
then sees its row. Same-source deliveries serialise on a transaction-scoped advisory lock before
looking for an active task. The rate-limit token lives in the platform database and is taken in
its own statement: a delivery whose transaction then fails has still spent its token.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

import psycopg

from shared.adapters.store.postgres.approvals import identities_of, insert_decision
from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.adapters.store.postgres.database import Database, TenantTx
from shared.adapters.store.postgres.rate_limit import take_webhook_token
from shared.domain.approval import ApprovalDecision, ScmIdentity
from shared.domain.errors import Unavailable
from shared.domain.task import ACTIVE_TASK_STATUSES, AgentTask, TaskStatus
from shared.domain.tenant import TenantLocation
from shared.ports.intake import ActiveTask, DeliveryRecord, IntakeLedger, IntakeTx, PriorDelivery

_ACTIVE = [str(s) for s in ACTIVE_TASK_STATUSES]


class PostgresIntakeLedger(IntakeLedger):
    def __init__(self, db: Database, audit: PostgresAuditLog) -> None:
        self._db = db
        self._audit = audit

    @contextmanager
    def _transaction(self, location: TenantLocation) -> Iterator[IntakeTx]:
        # Pipeline mode: statements whose results are not read go out without waiting, so the
        # hot path costs a handful of round trips instead of one per statement.
        try:
            with self._db.tenant_transaction(location) as tx, tx.conn.pipeline():
                yield _PostgresIntakeTx(self._db, tx, self._audit)
        except psycopg.OperationalError as exc:  # also the pool's timeouts
            raise Unavailable(f"the database is unavailable: {exc}") from exc

    def begin(self, location: TenantLocation) -> AbstractContextManager[IntakeTx]:
        return self._transaction(location)


class _PostgresIntakeTx(IntakeTx):
    def __init__(self, db: Database, tx: TenantTx, audit: PostgresAuditLog) -> None:
        self._db = db
        self._tx = tx
        self._conn = tx.conn
        self._location = tx.location
        self._audit = audit
        self._claimed: tuple[str, str] | None = None

    def claim(
        self, delivery: DeliveryRecord, outcome: str, task_id: str | None
    ) -> PriorDelivery | None:
        key = (delivery.provider.value, delivery.delivery_id)
        headers = json.dumps(dict(delivery.headers))
        inserted = self._conn.execute(
            "INSERT INTO webhook_deliveries"
            " (provider, delivery_id, event, headers, body, task_id, outcome)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (provider, delivery_id) DO NOTHING RETURNING id",
            (*key, delivery.event, headers, delivery.body, task_id, outcome),
        ).fetchone()
        if inserted is not None:
            self._claimed = (delivery.provider.value, delivery.delivery_id)
            return None
        row = self._conn.execute(
            "SELECT outcome, task_id, received_at FROM webhook_deliveries"
            " WHERE provider = %s AND delivery_id = %s",
            key,
        ).fetchone()
        assert row is not None  # the conflicting row is committed and never deleted here
        received = row["received_at"]
        assert isinstance(received, datetime)
        task = row["task_id"]
        return PriorDelivery(str(row["outcome"]), None if task is None else str(task), received)

    def take_token(self) -> float | None:
        with self._db.connection() as conn:
            return take_webhook_token(conn, self._location.slug)

    def active_task(self, task: AgentTask) -> ActiveTask | None:
        conn = self._conn
        source = (task.provider.value, task.repository, task.source_kind.value, task.source_id)
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            ("intake:" + self._location.slug + "\n" + "\n".join(source),),
        )
        row = conn.execute(
            "SELECT id, requester, status, command FROM tasks"
            " WHERE provider = %s AND repository = %s AND source_kind = %s AND source_id = %s"
            " AND status = ANY(%s) ORDER BY created_at DESC LIMIT 1",
            (*source, _ACTIVE),
        ).fetchone()
        if row is None:
            return None
        return ActiveTask(
            str(row["id"]),
            str(row["requester"]),
            TaskStatus(str(row["status"])),
            str(row["command"]),
        )

    def add_task(self, task: AgentTask) -> None:
        self._conn.execute(
            "INSERT INTO tasks (id, provider, repository, source_kind, source_id, command,"
            " instruction, requester, delivery_id, status)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                task.id,
                task.provider.value,
                task.repository,
                task.source_kind.value,
                task.source_id,
                task.command.value,
                task.instruction,
                task.requester,
                task.delivery_id,
                TaskStatus.QUEUED.value,
            ),
        )

    def set_status(self, task_id: str, status: TaskStatus) -> None:
        self._conn.execute(
            "UPDATE tasks SET status = %s, updated_at = now() WHERE id = %s",
            (status.value, task_id),
        )

    def audit(self, *, kind: str, actor: str, data: dict[str, Any], task_id: str | None) -> None:
        self._audit.append(self._tx, kind=kind, actor=actor, data=data, task_id=task_id)

    def identities_of(self, identity: ScmIdentity) -> tuple[ScmIdentity, ...]:
        return identities_of(self._conn, identity)

    def record_decision(self, decision: ApprovalDecision) -> bool:
        return insert_decision(self._conn, decision)

    def settle(self, outcome: str, task_id: str | None) -> None:
        assert self._claimed is not None, "settle before claim"
        self._conn.execute(
            "UPDATE webhook_deliveries SET outcome = %s, task_id = %s"
            " WHERE provider = %s AND delivery_id = %s",
            (outcome, task_id, *self._claimed),
        )
