"""The intake ledger in PostgreSQL: the tenant database's ``webhook_deliveries`` and ``tasks``.

One tenant transaction (the tenant's role, in its own database) holds the delivery claims, the
tasks and their audit events, so they commit together; with intake's group commit it carries
several deliveries of the tenant (``savepoint`` each when one fails). The claim is an
``INSERT ... ON CONFLICT DO NOTHING`` on the delivery's unique key: a concurrent duplicate waits
for the first transaction and then sees its row (a duplicate in the same transaction sees it at
once). Same-source deliveries serialise on a transaction-scoped advisory lock before looking for
an active task. Audit events are appended together just before the commit, so the tenant's
audit-chain lock is held only for that.

The rate-limit token lives in the platform database and is taken in a statement of its own: a
tenant transaction cannot roll it back. So the tokens a transaction (or a savepoint) took are
given back when it fails, in another statement after the rollback; should that fail too, they
stay spent (erring on the side of refusing, never of over-spending).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

import psycopg

from shared.adapters.store.postgres.approvals import identities_of, insert_decision
from shared.adapters.store.postgres.audit import AuditEntry, PostgresAuditLog
from shared.adapters.store.postgres.database import Database, TenantTx
from shared.adapters.store.postgres.rate_limit import give_back_webhook_tokens, take_webhook_token
from shared.adapters.store.postgres.repo_index import insert_push
from shared.domain.approval import ApprovalDecision, ScmIdentity
from shared.domain.errors import Unavailable
from shared.domain.task import ACTIVE_TASK_STATUSES, AgentTask, TaskStatus
from shared.domain.tenant import TenantLocation
from shared.policies.triggers.pushes import Push
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
        taken: _PostgresIntakeTx | None = None
        try:
            with self._db.tenant_transaction(location) as tenant_tx, tenant_tx.conn.pipeline():
                taken = _PostgresIntakeTx(self._db, tenant_tx, self._audit)
                yield taken
                taken.flush_audit()
        except BaseException as exc:
            if taken is not None:
                taken.give_back(taken.granted)
            if isinstance(exc, psycopg.OperationalError):  # also the pool's timeouts
                raise Unavailable(f"the database is unavailable: {exc}") from exc
            raise

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
        self._audit_entries: list[AuditEntry] = []
        self.granted = 0  # webhook tokens taken in the platform database by this transaction

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        audited, granted = len(self._audit_entries), self.granted
        try:
            with self._conn.transaction():
                yield
        except BaseException as exc:
            del self._audit_entries[audited:]
            self.give_back(self.granted - granted)
            self.granted = granted
            if isinstance(exc, psycopg.OperationalError):  # e.g. a deadlock between batches
                raise Unavailable(f"the database is unavailable: {exc}") from exc
            raise

    def give_back(self, tokens: int) -> None:
        """Return ``tokens`` webhook tokens whose deliveries were rolled back (best effort)."""
        if tokens <= 0:
            return
        try:
            with self._db.connection() as conn:
                give_back_webhook_tokens(conn, self._location.slug, tokens)
        except (psycopg.Error, Unavailable):  # the tokens stay spent
            return

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
            self._claimed = key
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
            wait = take_webhook_token(conn, self._location.slug)
        if wait is None:
            self.granted += 1
        return wait

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
        # Appended at the end of the transaction, all at once: the tenant's chain lock is then
        # held only from there to the commit, however many deliveries the transaction carries.
        self._audit_entries.append(AuditEntry(kind, actor, data, task_id))

    def flush_audit(self) -> None:
        if self._audit_entries:
            self._audit.append_many(self._tx, self._audit_entries)
            self._audit_entries.clear()

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

    def record_push(self, push: Push, delivery_id: str) -> int:
        return insert_push(self._conn, push, delivery_id)
