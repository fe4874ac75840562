"""Retention purges in PostgreSQL, inside each tenant's own database.

Bodies are cleared as the tenant's role (``webhook_deliveries`` is an ordinary table of the
tenant). Transcripts are cleared with the provisioner's login, the tables' owner (``admin``):
the tenant role may not update ``llm_call_events`` at all, and the table's trigger lets only a
transcript drop through, so the append-only guarantee holds for everything else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import sql

from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.adapters.store.postgres.database import Database
from shared.domain.errors import Unavailable
from shared.domain.tenant import TenantLocation
from shared.ports.retention import RetentionStore

ACTOR = "system:retention"


class PostgresRetentionStore(RetentionStore):
    def __init__(self, db: Database, admin: Database, audit: PostgresAuditLog) -> None:
        self._db = db
        self._admin = admin
        self._audit = audit

    def purge_bodies(self, location: TenantLocation, received_before: datetime) -> int:
        with self._db.tenant_transaction(location) as tx:
            cur = tx.conn.execute(
                "UPDATE webhook_deliveries SET body = NULL, body_purged_at = now()"
                " WHERE received_at < %s AND body IS NOT NULL",
                (received_before,),
            )
            return cur.rowcount

    def purge_transcripts(self, location: TenantLocation, before: datetime) -> int:
        if not location.database:
            raise Unavailable(f"tenant {location.slug!r} has no database")
        with self._admin.connect(location.database) as conn, conn.transaction():
            cur = conn.execute(
                sql.SQL(
                    "UPDATE {}.llm_call_events SET transcript = NULL"
                    " WHERE occurred_at < %s AND transcript IS NOT NULL"
                ).format(sql.Identifier(location.schema)),
                (before,),
            )
            return cur.rowcount

    def record(self, location: TenantLocation, data: dict[str, Any]) -> None:
        with self._db.tenant_transaction(location) as tx:
            self._audit.append(tx, kind="retention.purged", actor=ACTOR, data=data)
