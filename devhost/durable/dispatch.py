"""Claiming work and committing its outcome, each in ONE transaction.

An orchestration episode locks its instance row (``FOR UPDATE SKIP LOCKED``), reads the history
and the visible inbox messages, and — after the engine decided — appends the history, enqueues
the effects (activity work items, timers as delayed messages, sub-orchestration starts, entity
requests, the parent's notification), deletes the consumed messages and updates the instance,
then commits. A crash at any point rolls the transaction back: nothing is lost and nothing is
done twice. Activities hold their work item's row lock while they run and commit their result
message together with the item's deletion, so a crash re-runs the activity (at-least-once, as in
Durable Functions) but never delivers two results. Entity batches lock the entity row, so one
entity runs one batch at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from psycopg.types.json import Jsonb

from devhost.durable.model import (
    ACTIVITY,
    ActivityCall,
    EntityOutcome,
    EntityRecord,
    EntityWork,
    EpisodeOutcome,
    EpisodeWork,
    Message,
    OutMessage,
    WorkItem,
)
from devhost.durable.store import Conn, DurableStore, instance_from_row

ENTITY_BATCH_SIZE = 50
EPISODE_BATCH_SIZE = 500
_CANDIDATES = 64


def _messages(rows: list[dict[str, object]]) -> list[Message]:
    return [Message(int(str(r["id"])), r["execution_id"], r["event"]) for r in rows]  # type: ignore[arg-type]


@dataclass
class EpisodeSession:
    """A claimed episode: ``work`` to decide, ``commit`` to write the outcome."""

    conn: Conn
    store: DurableStore
    work: EpisodeWork
    more: bool = False

    async def commit(self, outcome: EpisodeOutcome) -> set[str]:
        """Queue the outcome's writes (pipelined); the kinds of work it creates."""
        conn, work = self.conn, self.work
        instance_id = work.instance.instance_id
        base = 0 if outcome.reset_history else len(work.history)
        async with conn.cursor() as cur:
            if outcome.reset_history:
                await cur.execute("DELETE FROM history WHERE instance_id = %s", (instance_id,))
            if outcome.append:
                await cur.executemany(
                    "INSERT INTO history (instance_id, seq, event) VALUES (%s, %s, %s)",
                    [(instance_id, base + i, Jsonb(e)) for i, e in enumerate(outcome.append)],
                )
            await cur.execute("DELETE FROM inbox WHERE id = ANY(%s)", (outcome.consumed,))
            if outcome.drop_messages_of:
                await cur.execute(
                    "DELETE FROM inbox WHERE target = %s AND kind = 'o' AND execution_id = %s",
                    (instance_id, outcome.drop_messages_of),
                )
            if outcome.update is not None:
                await cur.execute(_UPDATE_INSTANCE, _update_params(instance_id, outcome))
            if outcome.new_instances:
                await cur.executemany(
                    "INSERT INTO instances (instance_id, name, execution_id, status, input, "
                    "parent) VALUES (%s, %s, %s, 'Pending', %s, %s) "
                    "ON CONFLICT (instance_id) DO NOTHING",
                    [
                        (n.instance_id, n.name, n.execution_id, n.input, Jsonb(n.parent))
                        for n in outcome.new_instances
                    ],
                )
            if outcome.activities:
                await cur.executemany(
                    "INSERT INTO work_items (instance_id, execution_id, task_id, name, input) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    [
                        (a.instance_id, a.execution_id, a.task_id, a.name, a.input)
                        for a in outcome.activities
                    ],
                )
        kinds = await self.store.enqueue(conn, outcome.messages)
        if outcome.activities:
            kinds.add(ACTIVITY)
        await self.store.notify(conn, kinds)
        return kinds


_UPDATE_INSTANCE = (
    "UPDATE instances SET status = %s, execution_id = %s, input = %s, output = %s, "
    "custom_status = %s, name = %s, parent = %s, updated_at = clock_timestamp(), "
    "created_at = CASE WHEN %s THEN clock_timestamp() ELSE created_at END "
    "WHERE instance_id = %s"
)


def _update_params(instance_id: str, outcome: EpisodeOutcome) -> tuple[object, ...]:
    update = outcome.update
    assert update is not None
    return (
        str(update.status),
        update.execution_id,
        update.input,
        update.output,
        update.custom_status,
        update.name,
        Jsonb(update.parent) if update.parent is not None else None,
        update.recreated,
        instance_id,
    )


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
_CLAIM_INSTANCE = (
    "SELECT i.*, EXISTS (SELECT 1 FROM inbox o WHERE o.kind = 'o' "
    "AND o.visible_at <= clock_timestamp() AND o.target <> i.instance_id) AS more "
    "FROM instances i WHERE i.instance_id IN ("
    "SELECT m.target FROM inbox m JOIN instances j ON j.instance_id = m.target "
    "WHERE m.kind = 'o' AND m.visible_at <= clock_timestamp() "
    "AND (m.control OR j.status <> 'Suspended') "
    "GROUP BY m.target ORDER BY min(m.id) LIMIT %s) "
    "LIMIT 1 FOR UPDATE OF i SKIP LOCKED"
)
_CLAIM_ENTITY = (
    "SELECT e.*, EXISTS (SELECT 1 FROM inbox o WHERE o.kind = 'e' "
    "AND o.visible_at <= clock_timestamp() AND o.target <> e.entity_id) AS more "
    "FROM entities e WHERE e.entity_id IN ("
    "SELECT m.target FROM inbox m WHERE m.kind = 'e' AND m.visible_at <= clock_timestamp() "
    "GROUP BY m.target ORDER BY min(m.id) LIMIT %s) "
    "LIMIT 1 FOR UPDATE OF e SKIP LOCKED"
)
_VISIBLE_MESSAGES = (
    "SELECT id, execution_id, event FROM inbox WHERE target = %s AND kind = %s "
    "AND visible_at <= clock_timestamp() ORDER BY id LIMIT %s"
)


class Dispatcher:
    """Claims for the three kinds of work. Each yields ``None`` when nothing is runnable.

    Connections run in pipeline mode: the claim, the reads and the writes each cost one round
    trip to the server, and the writes travel with the COMMIT.
    """

    def __init__(self, store: DurableStore) -> None:
        self._store = store

    @asynccontextmanager
    async def episode(self) -> AsyncIterator[EpisodeSession | None]:
        async with self._store.pool.connection() as conn, conn.pipeline(), conn.transaction():
            cur = await conn.execute(_CLAIM_INSTANCE, (_CANDIDATES,))
            row = await cur.fetchone()
            if row is None:
                yield None
                return
            instance = instance_from_row(row)
            messages_cur = await conn.execute(
                _VISIBLE_MESSAGES, (instance.instance_id, "o", EPISODE_BATCH_SIZE)
            )
            history_cur = await conn.execute(
                "SELECT event FROM history WHERE instance_id = %s ORDER BY seq",
                (instance.instance_id,),
            )
            messages = _messages(list(await messages_cur.fetchall()))
            history = [r["event"] for r in await history_cur.fetchall()]
            if not messages:
                yield None
                return
            work = EpisodeWork(instance, history, messages)
            yield EpisodeSession(conn, self._store, work, more=bool(row["more"]))

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
            cur = await conn.execute(_VISIBLE_MESSAGES, (entity.entity_id, "e", ENTITY_BATCH_SIZE))
            messages = _messages(list(await cur.fetchall()))
            work = EntityWork(entity, messages)
            session = EntitySession(conn, self._store, work, more=bool(row["more"]))
            yield session if messages else None
