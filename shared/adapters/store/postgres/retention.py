"""Retention purges in PostgreSQL. Transcripts are cleared by the owner role (the tenant role
may not update ``llm_call_events``; the table's trigger lets only a transcript drop through)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import sql

from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.adapters.store.postgres.database import Database
from shared.domain.tenant import TenantLocation
from shared.ports.retention import RetentionStore

ACTOR = "system:retention"


class PostgresRetentionStore(RetentionStore):
    def __init__(self, db: Database, audit: PostgresAuditLog) -> None:
        self._db = db
        self._audit = audit

    def purge_bodies(self, location: TenantLocation, received_before: datetime) -> int:
        with self._db.transaction() as conn:
            cur = conn.execute(
                "UPDATE platform.webhook_deliveries SET body = NULL, body_purged_at = now()"
                " WHERE tenant = %s AND received_at < %s AND body IS NOT NULL",
                (location.slug, received_before),
            )
            return cur.rowcount

    def purge_transcripts(self, location: TenantLocation, before: datetime) -> int:
        with self._db.transaction() as conn:
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
