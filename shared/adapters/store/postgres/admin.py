"""The admin API's reads and small writes in each tenant's store (``shared.ports.admin``).

Every query runs in a tenant transaction as the tenant's role: PostgreSQL, not this code, keeps
one tenant's rows from another's. Paging is keyset (``(created_at, id)`` for tasks, ``seq`` for
audit events), so a page is stable while new rows arrive.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.tasks import get_task, update_task
from shared.domain.errors import Conflict, NotFound
from shared.domain.task import ACTIVE_TASK_STATUSES, TaskStatus
from shared.ports.admin import (
    AdminReads,
    AuditFilter,
    Page,
    Recorder,
    RoleAssignments,
    TaskFilter,
    TaskSlots,
    add_call_usage,
)
from shared.ports.tenants import TenantDirectory

_TASK = (
    "id, provider, repository, source_kind, source_id, command, requester, status, step, "
    "pr_url, approver, created_at, updated_at"
)
_CALL = (
    "id::text AS id, occurred_at, attempt, provider, model, model_version, "
    "template_name || '@' || template_version AS template, input_tokens, output_tokens, "
    "cost_usd::float8 AS cost_usd, outcome, scripted"
)
_EVENT = "seq, event_id::text AS event_id, occurred_at, actor, kind, task_id, data, prev_hash, hash"
_FINAL = [str(s) for s in TaskStatus if s not in ACTIVE_TASK_STATUSES]


class _TenantStore:
    def __init__(self, db: Database, tenants: TenantDirectory, audit: PostgresAuditLog) -> None:
        self._db, self._tenants, self._audit = db, tenants, audit

    def _tx(self, tenant: str) -> Any:
        return self._db.tenant_transaction(self._tenants.locate(tenant))


class PostgresRoleAssignments(_TenantStore, RoleAssignments):
    def roles_of(self, tenant: str, object_id: str) -> frozenset[str]:
        with self._tx(tenant) as tx:
            rows = tx.conn.execute(
                "SELECT role FROM role_assignments WHERE object_id = %s", (object_id,)
            ).fetchall()
        return frozenset(str(r["role"]) for r in rows)

    def list(self, tenant: str) -> list[dict[str, Any]]:
        with self._tx(tenant) as tx:
            return list(
                tx.conn.execute(
                    "SELECT object_id, role, assigned_by, assigned_at FROM role_assignments "
                    "ORDER BY object_id, role"
                ).fetchall()
            )

    def assign(self, tenant: str, object_id: str, role: str, *, actor: str) -> dict[str, Any]:
        with self._tx(tenant) as tx:
            row = tx.conn.execute(
                "INSERT INTO role_assignments (object_id, role, assigned_by) VALUES (%s, %s, %s) "
                "ON CONFLICT (object_id, role) DO UPDATE SET assigned_by = role_assignments"
                ".assigned_by RETURNING object_id, role, assigned_by, assigned_at",
                (object_id, role, actor),
            ).fetchone()
            assert row is not None
            data = {"object_id": object_id, "role": role}
            self._audit.append(tx, kind="role.assigned", actor=actor, data=data)
            return dict(row)

    def revoke(self, tenant: str, object_id: str, role: str, *, actor: str) -> None:
        with self._tx(tenant) as tx:
            gone = tx.conn.execute(
                "DELETE FROM role_assignments WHERE object_id = %s AND role = %s RETURNING role",
                (object_id, role),
            ).fetchone()
            if gone is None:
                raise NotFound("no such role assignment", code="role-assignment-not-found")
            data = {"object_id": object_id, "role": role}
            self._audit.append(tx, kind="role.revoked", actor=actor, data=data)


class PostgresAdminReads(_TenantStore, AdminReads):
    def tasks(self, tenant: str, where: TaskFilter, page: Page) -> list[dict[str, Any]]:
        clauses: list[str] = ["TRUE"]
        params: list[Any] = []
        for column, value in (
            ("status", where.status),
            ("requester", where.requester),
            ("repository", where.repository),
        ):
            if value is not None:
                clauses.append(f"{column} = %s")
                params.append(value)
        if where.since is not None:
            clauses.append("created_at >= %s")
            params.append(where.since)
        if page.after is not None:
            clauses.append("(created_at, id) < (%s::timestamptz, %s)")
            params.extend(page.after)
        with self._tx(tenant) as tx:
            rows = tx.conn.execute(
                f"SELECT {_TASK} FROM tasks WHERE {' AND '.join(clauses)} "
                "ORDER BY created_at DESC, id DESC LIMIT %s",
                (*params, page.limit),
            ).fetchall()
        return [{**r, "_key": (r["created_at"].isoformat(), r["id"])} for r in rows]

    def task(self, tenant: str, task_id: str) -> dict[str, Any]:
        with self._tx(tenant) as tx:
            return get_task(tx, task_id).to_json()

    def llm_calls(self, tenant: str, task_id: str) -> list[dict[str, Any]]:
        with self._tx(tenant) as tx:
            return list(
                tx.conn.execute(
                    f"SELECT {_CALL} FROM llm_call_events WHERE task_id = %s "
                    "ORDER BY occurred_at, attempt",
                    (task_id,),
                ).fetchall()
            )

    def awaiting_decision(self, tenant: str) -> list[dict[str, Any]]:
        with self._tx(tenant) as tx:
            rows = tx.conn.execute(
                f"SELECT {_TASK}, lineage FROM tasks t WHERE status = %s AND NOT EXISTS "
                "(SELECT 1 FROM approval_events a WHERE a.task_id = t.id) "
                "ORDER BY created_at, id",
                (str(TaskStatus.AWAITING_APPROVAL),),
            ).fetchall()
        return list(rows)

    def audit_events(self, tenant: str, where: AuditFilter, page: Page) -> list[dict[str, Any]]:
        clauses: list[str] = ["TRUE"]
        params: list[Any] = []
        for column, op, value in (
            ("occurred_at", ">=", where.since),
            ("occurred_at", "<", where.until),
            ("kind", "=", where.kind),
            ("actor", "=", where.actor),
            ("task_id", "=", where.task_id),
        ):
            if value is not None:
                clauses.append(f"{column} {op} %s")
                params.append(value)
        if page.after is not None:
            clauses.append("seq > %s")
            params.append(page.after[0])
        with self._tx(tenant) as tx:
            rows = tx.conn.execute(
                f"SELECT {_EVENT} FROM audit_events WHERE {' AND '.join(clauses)} "
                "ORDER BY seq LIMIT %s",
                (*params, page.limit),
            ).fetchall()
        return [{**r, "_key": (r["seq"],)} for r in rows]

    def usage(
        self, tenant: str, since: datetime | None, until: datetime | None
    ) -> list[dict[str, Any]]:
        window = (since, since, until, until)
        with self._tx(tenant) as tx:
            calls = tx.conn.execute(
                "SELECT (occurred_at AT TIME ZONE 'UTC')::date::text AS day, provider, model, "
                "count(*) AS n, sum(input_tokens)::bigint AS input_tokens, "
                "sum(output_tokens)::bigint AS output_tokens, sum(cost_usd)::float8 AS cost_usd "
                "FROM llm_call_events WHERE (%s::timestamptz IS NULL OR occurred_at >= %s) "
                "AND (%s::timestamptz IS NULL OR occurred_at < %s) GROUP BY 1, 2, 3",
                window,
            ).fetchall()
            tasks = tx.conn.execute(
                "SELECT (created_at AT TIME ZONE 'UTC')::date::text AS day, status, "
                "count(*) AS n, avg(extract(epoch FROM updated_at - created_at)) "
                "FILTER (WHERE status = ANY(%s))::float8 AS lead, "
                "count(*) FILTER (WHERE status = ANY(%s)) AS finished "
                "FROM tasks WHERE (%s::timestamptz IS NULL OR created_at >= %s) "
                "AND (%s::timestamptz IS NULL OR created_at < %s) GROUP BY 1, 2",
                (_FINAL, _FINAL, *window),
            ).fetchall()
        days: dict[str, dict[str, Any]] = {}

        def day(name: str) -> dict[str, Any]:
            return days.setdefault(
                name,
                {"day": name, "llm_calls": 0, "input_tokens": 0, "output_tokens": 0,
                 "cost_usd": 0.0, "tasks_by_outcome": {}, "_lead": 0.0, "_finished": 0,
                 "models": []},
            )  # fmt: skip

        for row in calls:
            share = {
                "provider": row["provider"],
                "model": row["model"],
                "llm_calls": int(row["n"]),
                "input_tokens": int(row["input_tokens"]),
                "output_tokens": int(row["output_tokens"]),
                "cost_usd": float(row["cost_usd"]),
            }
            add_call_usage(day(row["day"]), share)
        for row in tasks:
            entry = day(row["day"])
            entry["tasks_by_outcome"][row["status"]] = int(row["n"])
            if row["finished"]:
                entry["_lead"] += float(row["lead"]) * int(row["finished"])
                entry["_finished"] += int(row["finished"])
        return [days[d] for d in sorted(days)]

    def cancel(self, tenant: str, task_id: str, *, actor: str) -> dict[str, Any]:
        with self._tx(tenant) as tx:
            task = get_task(tx, task_id, for_update=True)
            if task.status not in ACTIVE_TASK_STATUSES:
                raise Conflict(f"task {task_id!r} is already {task.status}", code="task-finished")
            updated = update_task(tx, task_id, status=TaskStatus.CANCELLED, step="cancelled")
            self._audit.append(tx, kind="task.cancelled", actor=actor, data={}, task_id=task_id)
            return updated.to_json()

    def record(self, tenant: str, *, kind: str, actor: str, data: dict[str, Any]) -> None:
        with self._tx(tenant) as tx:
            self._audit.append(tx, kind=kind, actor=actor, data=data)

    @contextmanager
    def _exclusive(self, tenant: str, name: str) -> Iterator[Recorder]:
        with self._tx(tenant) as tx:
            tx.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{name}:{tenant}",))

            def record(*, kind: str, actor: str, data: dict[str, Any]) -> None:
                self._audit.append(tx, kind=kind, actor=actor, data=data)

            yield record

    def exclusive(self, tenant: str, name: str) -> AbstractContextManager[Recorder]:
        return self._exclusive(tenant, name)


class PostgresTaskSlots(_TenantStore, TaskSlots):
    """Counts the tenant's ``running`` tasks under a per-tenant advisory lock, in the tenant's
    own transaction that also marks the claiming task running."""

    def __init__(
        self, db: Database, tenants: TenantDirectory, audit: PostgresAuditLog, quotas: Any
    ) -> None:
        super().__init__(db, tenants, audit)
        self._quotas = quotas

    def claim(self, tenant: str, task_id: str) -> bool:
        limit = int(self._quotas.get(tenant)["max_concurrent_tasks"])
        with self._tx(tenant) as tx:
            tx.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"slots:{tenant}",))
            task = get_task(tx, task_id, for_update=True)
            if task.status is not TaskStatus.QUEUED:
                return True  # claimed before (a retried activity), or no longer waiting
            row = tx.conn.execute(
                "SELECT count(*) AS n FROM tasks WHERE status = %s AND id <> %s",
                (str(TaskStatus.RUNNING), task_id),
            ).fetchone()
            if row is not None and int(row["n"]) >= limit:
                return False
            update_task(tx, task_id, status=TaskStatus.RUNNING)
            return True
