"""Claiming activity calls and entity batches and committing their outcome (orchestration
episodes: ``episodes``).

Activities run outside any transaction: a claim is one statement that leases the work item
(``leased_until``) and increments its fencing token (``lease_token``); the activity then runs
holding no connection, lock or transaction (an LLM call may take minutes), while the worker
renews the lease; its completion is one transaction that deletes the item only if the token
still matches and delivers the result with it. A worker that dies stops renewing, the lease
expires and another worker claims the item again (at-least-once, as in Durable Functions); if
the first worker was only slow, its late completion finds the token changed and is refused, so
an execution never gets two results for one call. Entity batches are short and stay one
transaction that locks the entity row, so one entity runs one batch at a time.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from devhost.durable.model import (
    ActivityCall,
    EntityOutcome,
    EntityRecord,
    EntityWork,
    Message,
    OutMessage,
    WorkItem,
)
from devhost.durable.store import Conn, DurableStore

log = logging.getLogger("devhost.dispatch")

ENTITY_BATCH_SIZE = 50
DEFAULT_LEASE_S = 30.0
_CANDIDATES = 64


def _messages(rows: list[dict[str, object]]) -> list[Message]:
    return [Message(int(str(r["id"])), r["execution_id"], r["event"]) for r in rows]  # type: ignore[arg-type]


@dataclass
class ActivityLease:
    """A claimed activity call: the worker holds its lease (``token``), not a transaction."""

    store: DurableStore
    item: WorkItem
    token: int
    lease_s: float
    more: bool = False

    async def renew(self) -> bool:
        """Extend the lease; False when another worker has taken the item over (or it is gone)."""
        async with self.store.pool.connection() as conn:
            cur = await conn.execute(
                "UPDATE work_items SET leased_until = clock_timestamp() + make_interval("
                "secs => %s) WHERE id = %s AND lease_token = %s RETURNING id",
                (self.lease_s, self.item.id, self.token),
            )
            return await cur.fetchone() is not None

    async def complete(self, result: OutMessage) -> set[str] | None:
        """Deliver the result and retire the work item (committed together), only while this
        lease is the item's current one; ``None`` when the completion was refused (fenced)."""
        # Pipeline mode: the fenced delete is one round trip, the result and COMMIT another.
        async with self.store.pool.connection() as conn, conn.pipeline(), conn.transaction():
            cur = await conn.execute(
                "DELETE FROM work_items WHERE id = %s AND lease_token = %s RETURNING id",
                (self.item.id, self.token),
            )
            if await cur.fetchone() is None:
                call = self.item.call
                log.warning(
                    "refused the completion of activity %s of %s: its lease was taken over",
                    call.name,
                    call.instance_id,
                )
                return None
            kinds = await self.store.enqueue_and_notify(conn, [result])
        return kinds


@dataclass
class EntitySession:
    conn: Conn
    store: DurableStore
    work: EntityWork
    more: bool = False

    async def commit(self, outcome: EntityOutcome) -> set[str]:
        await self.conn.execute(
            "UPDATE entities SET entity_exists = %s, state = %s, "
            "last_operation_at = clock_timestamp() WHERE entity_id = %s",
            (outcome.exists, outcome.state, self.work.entity.entity_id),
        )
        await self.conn.execute("DELETE FROM inbox WHERE id = ANY(%s)", (outcome.consumed,))
        kinds = await self.store.enqueue(self.conn, outcome.messages)
        await self.store.notify(self.conn, kinds)
        return kinds


# Each claim also says whether other work is probably waiting (``more``), so that a worker
# wakes a peer only then.
_CLAIM_ENTITY = (
    "SELECT e.*, EXISTS (SELECT 1 FROM inbox o WHERE o.kind = 'e' "
    "AND o.visible_at <= clock_timestamp() AND o.target <> e.entity_id) AS more "
    "FROM entities e WHERE e.entity_id IN ("
    "SELECT m.target FROM inbox m WHERE m.kind = 'e' AND m.visible_at <= clock_timestamp() "
    "GROUP BY m.target ORDER BY min(m.id) LIMIT %s) "
    "LIMIT 1 FOR UPDATE OF e SKIP LOCKED"
)
# A free work item was never leased or its lease expired.
_CLAIM_ACTIVITY = (
    "UPDATE work_items w SET lease_token = w.lease_token + 1, "
    "leased_until = clock_timestamp() + make_interval(secs => %s) "
    "FROM (SELECT id FROM work_items "
    "WHERE leased_until IS NULL OR leased_until <= clock_timestamp() "
    "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) c WHERE w.id = c.id "
    "RETURNING w.*, EXISTS (SELECT 1 FROM work_items x WHERE x.id > w.id "
    "AND (x.leased_until IS NULL OR x.leased_until <= clock_timestamp())) AS more"
)
_VISIBLE_MESSAGES = (
    "SELECT id, execution_id, event FROM inbox WHERE target = %s AND kind = 'e' "
    "AND visible_at <= clock_timestamp() ORDER BY id LIMIT %s"
)


class Dispatcher:
    """Claims for activity calls and entity batches; ``None`` when nothing is runnable.

    An activity claim is one statement (autocommit). Entity connections run in pipeline mode:
    the claim, the reads and the writes each cost one round trip, the writes travel with the
    COMMIT.
    """

    def __init__(self, store: DurableStore, lease_s: float = DEFAULT_LEASE_S) -> None:
        self._store = store
        self._lease_s = lease_s

    async def activity(self) -> ActivityLease | None:
        """Lease the oldest activity call nobody holds (never leased, or its lease expired)."""
        async with self._store.pool.connection() as conn:
            cur = await conn.execute(_CLAIM_ACTIVITY, (self._lease_s,))
            row = await cur.fetchone()
        if row is None:
            return None
        call = ActivityCall(
            row["instance_id"], row["execution_id"], row["task_id"], row["name"], row["input"]
        )
        item = WorkItem(row["id"], call)
        return ActivityLease(
            self._store, item, int(row["lease_token"]), self._lease_s, more=bool(row["more"])
        )

    @asynccontextmanager
    async def entity_batch(self) -> AsyncIterator[EntitySession | None]:
        async with self._store.pool.connection() as conn, conn.pipeline(), conn.transaction():
            cur = await conn.execute(_CLAIM_ENTITY, (_CANDIDATES,))
            row = await cur.fetchone()
            if row is None:
                yield None
                return
            entity = EntityRecord(
                row["entity_id"], row["name"], row["key"], row["entity_exists"], row["state"]
            )
            cur = await conn.execute(_VISIBLE_MESSAGES, (entity.entity_id, ENTITY_BATCH_SIZE))
            messages = _messages(list(await cur.fetchall()))
            work = EntityWork(entity, messages)
            session = EntitySession(conn, self._store, work, more=bool(row["more"]))
            yield session if messages else None
