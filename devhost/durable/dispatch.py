"""Claiming activity calls and entity batches and committing their outcome, each in ONE
transaction (orchestration episodes: ``episodes``).

A crash at any point rolls the transaction back: nothing is lost and nothing is done twice.
Activities hold their work item's row lock while they run and commit their result
message together with the item's deletion, so a crash re-runs the activity (at-least-once, as in
Durable Functions) but never delivers two results. Entity batches lock the entity row, so one
entity runs one batch at a time.
"""

from __future__ import annotations

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

ENTITY_BATCH_SIZE = 50
_CANDIDATES = 64


def _messages(rows: list[dict[str, object]]) -> list[Message]:
    return [Message(int(str(r["id"])), r["execution_id"], r["event"]) for r in rows]  # type: ignore[arg-type]


@dataclass
class ActivitySession:
    conn: Conn
    store: DurableStore
    item: WorkItem
    more: bool = False

    async def complete(self, result: OutMessage) -> set[str]:
        """Deliver the result and retire the work item (committed together)."""
        kinds = await self.store.enqueue(self.conn, [result])
        await self.conn.execute("DELETE FROM work_items WHERE id = %s", (self.item.id,))
        await self.store.notify(self.conn, kinds)
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
_VISIBLE_MESSAGES = (
    "SELECT id, execution_id, event FROM inbox WHERE target = %s AND kind = 'e' "
    "AND visible_at <= clock_timestamp() ORDER BY id LIMIT %s"
)


class Dispatcher:
    """Claims for activity calls and entity batches. Each yields ``None`` when nothing is runnable.

    Connections run in pipeline mode: the claim, the reads and the writes each cost one round
    trip to the server, and the writes travel with the COMMIT.
    """

    def __init__(self, store: DurableStore) -> None:
        self._store = store

    @asynccontextmanager
    async def activity(self) -> AsyncIterator[ActivitySession | None]:
        async with self._store.pool.connection() as conn, conn.pipeline(), conn.transaction():
            cur = await conn.execute(
                "SELECT w.*, EXISTS (SELECT 1 FROM work_items x WHERE x.id > w.id) AS more "
                "FROM work_items w ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
            )
            row = await cur.fetchone()
            if row is None:
                yield None
                return
            call = ActivityCall(
                row["instance_id"], row["execution_id"], row["task_id"], row["name"], row["input"]
            )
            item = WorkItem(row["id"], call)
            yield ActivitySession(conn, self._store, item, more=bool(row["more"]))

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
