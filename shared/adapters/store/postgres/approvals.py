"""Approval decisions (``approval_events``) and identity links in the tenant's schema.

Everything runs in a tenant transaction as the tenant's role, with its audit event. A task has
at most one decision (a unique key on ``task_id``): of two concurrent inserts one wins, the
other finds it. ``insert_decision`` and ``identities_of`` also serve the webhook intake, which
records ``/agent approve|reject`` in its own transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

import psycopg

from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.adapters.store.postgres.database import Database, TenantTx
from shared.domain.approval import (
    ApprovalDecision,
    IdentityLink,
    ScmIdentity,
    TaskUnderDecision,
)
from shared.domain.errors import Conflict, NotFound
from shared.domain.task import TaskStatus
from shared.ports.approvals import ApprovalStore, ApprovalTx
from shared.ports.tenants import TenantDirectory

Conn = psycopg.Connection[dict[str, object]]
_DECISION = "id, task_id, decision, via, principal, object_id, roles, linked, comment, decided_at"
_LINK = "provider, scm_user, object_id, linked_by, linked_at"


def _decision(row: dict[str, object]) -> ApprovalDecision:
    decided, roles, linked = row["decided_at"], row["roles"], row["linked"]
    assert isinstance(decided, datetime) and isinstance(roles, list) and isinstance(linked, list)
    return ApprovalDecision(
        id=str(row["id"]),
        task_id=str(row["task_id"]),
        decision="approve" if row["decision"] == "approve" else "reject",
        via="api" if row["via"] == "api" else "comment",
        principal=str(row["principal"]),
        object_id=None if row["object_id"] is None else str(row["object_id"]),
        roles=tuple(str(r) for r in roles),
        linked=tuple((str(p), str(u)) for p, u in linked),
        comment=str(row["comment"]),
        decided_at=decided,
    )


def _link(row: dict[str, object]) -> IdentityLink:
    linked_at = row["linked_at"]
    assert isinstance(linked_at, datetime)
    return IdentityLink(
        str(row["provider"]),
        str(row["scm_user"]),
        str(row["object_id"]),
        str(row["linked_by"]),
        linked_at,
    )


def insert_decision(conn: Conn, decision: ApprovalDecision) -> bool:
    """Record the decision unless its task has one already (then ``False``, nothing written)."""
    row = conn.execute(
        f"INSERT INTO approval_events ({_DECISION}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s,"
        " %s) ON CONFLICT (task_id) DO NOTHING RETURNING id",
        (
            decision.id,
            decision.task_id,
            decision.decision,
            decision.via,
            decision.principal,
            decision.object_id,
            list(decision.roles),
            json.dumps([list(i) for i in decision.linked]),
            decision.comment,
            decision.decided_at,
        ),
    ).fetchone()
    return row is not None


def identities_of(conn: Conn, identity: ScmIdentity) -> tuple[ScmIdentity, ...]:
    """``identity`` and every SCM identity linked to the same Entra object id."""
    rows = conn.execute(
        "SELECT provider, scm_user FROM identity_links WHERE object_id IN"
        " (SELECT object_id FROM identity_links WHERE provider = %s AND scm_user = %s)"
        " ORDER BY provider, scm_user",
        identity,
    ).fetchall()
    return tuple(
        dict.fromkeys([identity, *((str(r["provider"]), str(r["scm_user"])) for r in rows)])
    )


class PostgresApprovalStore(ApprovalStore):
    def __init__(self, db: Database, tenants: TenantDirectory, audit: PostgresAuditLog) -> None:
        self._db = db
        self._tenants = tenants
        self._audit = audit

    @contextmanager
    def _begin(self, tenant: str) -> Iterator[ApprovalTx]:
        with self._db.tenant_transaction(self._tenants.locate(tenant)) as tx:
            yield _PostgresApprovalTx(tx, self._audit)

    def begin(self, tenant: str) -> AbstractContextManager[ApprovalTx]:
        return self._begin(tenant)

    def decision(self, tenant: str, decision_id: str) -> ApprovalDecision | None:
        try:
            key = str(uuid.UUID(decision_id))
        except (ValueError, TypeError, AttributeError):
            return None
        with self._db.tenant_transaction(self._tenants.locate(tenant)) as tx:
            row = tx.conn.execute(
                f"SELECT {_DECISION} FROM approval_events WHERE id = %s", (key,)
            ).fetchone()
        return None if row is None else _decision(row)

    def links(self, tenant: str, *, object_id: str | None = None) -> list[IdentityLink]:
        with self._db.tenant_transaction(self._tenants.locate(tenant)) as tx:
            return _links(tx.conn, object_id)

    def link(self, tenant: str, link: IdentityLink) -> IdentityLink:
        with self._db.tenant_transaction(self._tenants.locate(tenant)) as tx:
            row = tx.conn.execute(
                f"INSERT INTO identity_links ({_LINK}) VALUES (%s, %s, %s, %s, now())"
                " ON CONFLICT (provider, scm_user) DO UPDATE SET object_id = EXCLUDED.object_id,"
                f" linked_by = EXCLUDED.linked_by, linked_at = now() RETURNING {_LINK}",
                (link.provider, link.scm_user, link.object_id, link.linked_by),
            ).fetchone()
            assert row is not None
            stored = _link(row)
            self._audit.append(tx, kind="identity.linked", actor=link.linked_by, data=_data(stored))
            return stored

    def unlink(self, tenant: str, provider: str, scm_user: str, *, actor: str) -> None:
        with self._db.tenant_transaction(self._tenants.locate(tenant)) as tx:
            row = tx.conn.execute(
                "DELETE FROM identity_links WHERE provider = %s AND scm_user = %s"
                f" RETURNING {_LINK}",
                (provider, scm_user),
            ).fetchone()
            if row is None:
                raise NotFound(
                    f"no identity link for {provider}:{scm_user}", code="identity-link-not-found"
                )
            self._audit.append(tx, kind="identity.unlinked", actor=actor, data=_data(_link(row)))


def _links(conn: Conn, object_id: str | None) -> list[IdentityLink]:
    where = "" if object_id is None else " WHERE object_id = %s"
    rows = conn.execute(
        f"SELECT {_LINK} FROM identity_links{where} ORDER BY provider, scm_user",
        () if object_id is None else (object_id,),
    ).fetchall()
    return [_link(r) for r in rows]


def _data(link: IdentityLink) -> dict[str, Any]:
    return {"provider": link.provider, "scm_user": link.scm_user, "object_id": link.object_id}


class _PostgresApprovalTx(ApprovalTx):
    def __init__(self, tx: TenantTx, audit: PostgresAuditLog) -> None:
        self._tx = tx
        self._audit = audit

    def task(self, task_id: str) -> TaskUnderDecision:
        row = self._tx.conn.execute(
            "SELECT id, provider, requester, status FROM tasks WHERE id = %s FOR UPDATE",
            (task_id,),
        ).fetchone()
        if row is None:
            raise NotFound(
                f"no task {task_id!r} for tenant {self._tx.tenant!r}", code="task-not-found"
            )
        return TaskUnderDecision(
            str(row["id"]),
            str(row["provider"]),
            str(row["requester"]),
            TaskStatus(str(row["status"])),
        )

    def decision_for(self, task_id: str) -> ApprovalDecision | None:
        row = self._tx.conn.execute(
            f"SELECT {_DECISION} FROM approval_events WHERE task_id = %s", (task_id,)
        ).fetchone()
        return None if row is None else _decision(row)

    def links_of(self, object_id: str) -> list[IdentityLink]:
        return _links(self._tx.conn, object_id)

    def add(self, decision: ApprovalDecision) -> None:
        if not insert_decision(self._tx.conn, decision):
            raise Conflict(f"task {decision.task_id!r} is already decided", code="already-decided")

    def audit(self, *, kind: str, actor: str, data: dict[str, Any], task_id: str) -> None:
        self._audit.append(self._tx, kind=kind, actor=actor, data=data, task_id=task_id)
