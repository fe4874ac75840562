"""The intake ledger in PostgreSQL: ``platform.webhook_deliveries`` and the tenant's ``tasks``.

One platform transaction (the pool's owner role) that switches to the tenant's role for the
tenant's rows (``enter_tenant``) and back for platform rows, so both commit together. The claim
is an ``INSERT ... ON CONFLICT DO NOTHING`` on the delivery's unique key: a concurrent duplicate
waits for the first transaction and then sees its row (a duplicate in the same transaction sees
it at once). Same-source deliveries serialise on a
transaction-scoped advisory lock before looking for an active task. Audit events are appended
together just before the commit, so the tenant's audit-chain lock is held only for that.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

import psycopg

from shared.adapters.store.postgres.audit import AuditEntry, PostgresAuditLog
from shared.adapters.store.postgres.database import Database, TenantTx, enter_tenant
from shared.adapters.store.postgres.rate_limit import (
    WEBHOOK_BUCKET_SQL,
    take_webhook_token,
    token_wait,
)
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
            with self._db.transaction() as conn, conn.pipeline():
                tx = _PostgresIntakeTx(conn, location, self._audit)
                yield tx
                tx.flush_audit()
        except psycopg.OperationalError as exc:  # also the pool's timeouts
            raise Unavailable(f"the database is unavailable: {exc}") from exc

    def begin(self, location: TenantLocation) -> AbstractContextManager[IntakeTx]:
        return self._transaction(location)


class _PostgresIntakeTx(IntakeTx):
    def __init__(
        self,
        conn: psycopg.Connection[dict[str, object]],
        location: TenantLocation,
        audit: PostgresAuditLog,
    ) -> None:
        self._conn = conn
        self._location = location
        self._audit = audit
        self._as_tenant = False
        self._claimed: tuple[str, str] | None = None
        self._audit_entries: list[AuditEntry] = []
        self._taken: tuple[float | None] | None = None  # the token taken with a new claim

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        # Rolling back to a savepoint also undoes the SET LOCALs made after it.
        as_tenant, audited = self._as_tenant, len(self._audit_entries)
        try:
            with self._conn.transaction():
                yield
        except BaseException as exc:
            self._as_tenant = as_tenant
            del self._audit_entries[audited:]
            if isinstance(exc, psycopg.OperationalError):  # e.g. a deadlock between batches
                raise Unavailable(f"the database is unavailable: {exc}") from exc
            raise

    # The transaction starts as the owner; tenant rows are written as the tenant's role.
    def _platform(self) -> psycopg.Connection[dict[str, object]]:
        if self._as_tenant:
            self._conn.execute("SET LOCAL ROLE NONE")
            self._conn.execute("SET LOCAL search_path TO DEFAULT")
            self._as_tenant = False
        return self._conn

    def _tenant(self) -> psycopg.Connection[dict[str, object]]:
        if not self._as_tenant:
            enter_tenant(self._conn, self._location)
            self._as_tenant = True
        return self._conn

    def claim(
        self, delivery: DeliveryRecord, outcome: str, task_id: str | None
    ) -> PriorDelivery | None:
        key = (self._location.slug, delivery.provider.value, delivery.delivery_id)
        headers = json.dumps(dict(delivery.headers))
        # A new claim takes the webhook token in the same statement (one round trip): the
        # service asks for it right after every new claim (``take_token``).
        inserted = (
            self._platform()
            .execute(
                "WITH claimed AS (INSERT INTO platform.webhook_deliveries"
                " (tenant, provider, delivery_id, event, headers, body, task_id, outcome)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (tenant, provider, delivery_id) DO NOTHING RETURNING id)"
                f" SELECT {WEBHOOK_BUCKET_SQL} FROM claimed",
                (*key, delivery.event, headers, delivery.body, task_id, outcome, key[0], key[0]),
            )
            .fetchone()
        )
        if inserted is not None:
            self._claimed = (delivery.provider.value, delivery.delivery_id)
            self._taken = (token_wait(inserted),)
            return None
        row = self._conn.execute(
            "SELECT outcome, task_id, received_at FROM platform.webhook_deliveries"
            " WHERE tenant = %s AND provider = %s AND delivery_id = %s",
            key,
        ).fetchone()
        assert row is not None  # the conflicting row is committed and never deleted here
        received = row["received_at"]
        assert isinstance(received, datetime)
        task = row["task_id"]
        return PriorDelivery(str(row["outcome"]), None if task is None else str(task), received)

    def take_token(self) -> float | None:
        if self._taken is not None:
            (wait,), self._taken = self._taken, None
            return wait
        return take_webhook_token(self._platform(), self._location.slug)

    def active_task(self, task: AgentTask) -> ActiveTask | None:
        conn = self._tenant()
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
        self._tenant().execute(
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
        self._tenant().execute(
            "UPDATE tasks SET status = %s, updated_at = now() WHERE id = %s",
            (status.value, task_id),
        )

    def audit(self, *, kind: str, actor: str, data: dict[str, Any], task_id: str | None) -> None:
        # Appended at the end of the transaction, all at once: the tenant's chain lock is then
        # held only from there to the commit, however many deliveries the transaction carries.
        self._audit_entries.append(AuditEntry(kind, actor, data, task_id))

    def flush_audit(self) -> None:
        if self._audit_entries:
            tx = TenantTx(self._tenant(), self._location)
            self._audit.append_many(tx, self._audit_entries)
            self._audit_entries.clear()

    def settle(self, outcome: str, task_id: str | None) -> None:
        assert self._claimed is not None, "settle before claim"
        self._platform().execute(
            "UPDATE platform.webhook_deliveries SET outcome = %s, task_id = %s"
            " WHERE tenant = %s AND provider = %s AND delivery_id = %s",
            (outcome, task_id, self._location.slug, *self._claimed),
        )
