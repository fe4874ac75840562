"""The hash-chained audit log in each tenant's schema.

Appends serialise on a per-tenant advisory lock, take the last hash, and insert the next events
in the caller's tenant transaction — so the event commits or rolls back with the change it
records. Rows cannot be changed afterwards: the tenant role has no UPDATE/DELETE grant and a
trigger refuses both for every role. ``verify_chain`` recomputes every hash and link.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.adapters.store.postgres.database import Database, TenantTx
from shared.domain.audit import GENESIS_HASH, AuditEvent, ChainVerification
from shared.ports.audit import AuditLog
from shared.ports.tenants import TenantDirectory

_COLUMNS = "seq, event_id, occurred_at, actor, kind, task_id, data, prev_hash, hash"


@dataclass(frozen=True)
class AuditEntry:
    """An event to append, before it has its place in the chain."""

    kind: str
    actor: str
    data: dict[str, Any]
    task_id: str | None = None


def _event(row: dict[str, object]) -> AuditEvent:
    occurred = row["occurred_at"]
    assert isinstance(occurred, datetime)
    data = row["data"]
    return AuditEvent(
        seq=int(str(row["seq"])),
        event_id=str(row["event_id"]),
        occurred_at=occurred.astimezone(UTC),
        actor=str(row["actor"]),
        kind=str(row["kind"]),
        task_id=None if row["task_id"] is None else str(row["task_id"]),
        data=dict(data) if isinstance(data, dict) else {},
        prev_hash=str(row["prev_hash"]),
        hash=str(row["hash"]),
    )


class PostgresAuditLog(AuditLog):
    def __init__(self, db: Database, tenants: TenantDirectory) -> None:
        self._db = db
        self._tenants = tenants

    def append(
        self,
        tx: TenantTx,
        *,
        kind: str,
        actor: str,
        data: dict[str, Any],
        task_id: str | None = None,
    ) -> AuditEvent:
        [event] = self.append_many(tx, [AuditEntry(kind, actor, data, task_id)])
        return event

    def append_many(self, tx: TenantTx, entries: Sequence[AuditEntry]) -> list[AuditEvent]:
        """Append ``entries`` in order, linked one to the next, under one turn of the chain
        lock and in one round trip: how a transaction carrying many events (intake's group
        commit) keeps the chain exact without holding the lock for longer."""
        if not entries:
            return []
        conn = tx.conn
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"audit:{tx.tenant}",))
        last = conn.execute(
            "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        seq = 0 if last is None else int(str(last["seq"]))
        prev_hash = GENESIS_HASH if last is None else str(last["hash"])
        events = []
        for entry in entries:
            seq += 1
            # Round-trip through JSON so the hashed data is exactly what JSONB gives back.
            stored_data = json.loads(json.dumps(entry.data, default=str))
            draft = AuditEvent(
                seq=seq,
                event_id=str(uuid.uuid4()),
                occurred_at=datetime.now(UTC),
                actor=entry.actor,
                kind=entry.kind,
                task_id=entry.task_id,
                data=stored_data,
                prev_hash=prev_hash,
                hash="",
            )
            event = AuditEvent(**{**draft.__dict__, "hash": draft.computed_hash()})
            events.append(event)
            prev_hash = event.hash
        with conn.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO audit_events ({_COLUMNS}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                [
                    (
                        e.seq,
                        e.event_id,
                        e.occurred_at,
                        e.actor,
                        e.kind,
                        e.task_id,
                        json.dumps(e.data),
                        e.prev_hash,
                        e.hash,
                    )
                    for e in events
                ],
            )
        return events

    def _events(self, tx: TenantTx) -> Iterator[AuditEvent]:
        cursor = tx.conn.cursor(name=f"audit_{uuid.uuid4().hex}")
        cursor.execute(f"SELECT {_COLUMNS} FROM audit_events ORDER BY seq")
        for row in cursor:
            yield _event(row)

    def verify_chain(self, tenant: str) -> ChainVerification:
        with self._db.tenant_transaction(self._tenants.locate(tenant)) as tx:
            result = self._verify_links(tx)
            if not result.ok:
                return result
            head = tx.conn.execute("SELECT seq, hash FROM internal_audit_head").fetchone()
        if head is not None and (int(str(head["seq"])) != result.checked):
            return ChainVerification(
                False,
                result.checked,
                result.checked + 1,
                f"the chain ends at {result.checked} but its head records {head['seq']}: "
                "events were removed from the end",
            )
        return result

    def _verify_links(self, tx: TenantTx) -> ChainVerification:
        expected_prev, checked = GENESIS_HASH, 0
        for event in self._events(tx):
            expected_seq = checked + 1
            if event.seq != expected_seq:
                return ChainVerification(
                    False, checked, expected_seq, f"event {expected_seq} is missing"
                )
            if event.prev_hash != expected_prev:
                return ChainVerification(
                    False, checked, event.seq, "prev_hash does not match the previous event"
                )
            if event.computed_hash() != event.hash:
                return ChainVerification(
                    False, checked, event.seq, "content does not match its hash"
                )
            expected_prev, checked = event.hash, checked + 1
        return ChainVerification(True, checked)

    def export(self, tenant: str) -> Iterator[str]:
        with self._db.tenant_transaction(self._tenants.locate(tenant)) as tx:
            for event in self._events(tx):
                yield event.to_json()
