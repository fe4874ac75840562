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

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from psycopg.types.json import Jsonb

from devhost.durable.model import (
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

ACTIVITY_KIND = "a"
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
    on_commit: Callable[[set[str]], None]

    async def commit(self, outcome: EpisodeOutcome) -> None:
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
                u = outcome.update
                await cur.execute(
                    "UPDATE instances SET status = %s, execution_id = %s, input = %s, "
                    "output = %s, custom_status = %s, name = %s, parent = %s, "
                    "updated_at = clock_timestamp(), created_at = CASE WHEN %s "
                    "THEN clock_timestamp() ELSE created_at END WHERE instance_id = %s",
                    (
                        str(u.status),
                        u.execution_id,
                        u.input,
                        u.output,
                        u.custom_status,
                        u.name,
                        Jsonb(u.parent) if u.parent is not None else None,
                        u.recreated,
                        instance_id,
                    ),
                )
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
                    "INSERT INTO work_items (instance_id, execution_id, task_id, name, "
                    "input) VALUES (%s, %s, %s, %s, %s)",
                    [
                        (a.instance_id, a.execution_id, a.task_id, a.name, a.input)
                        for a in outcome.activities
                    ],
                )
        await self.store.enqueue(conn, outcome.messages)
        kinds = {m.kind for m in outcome.messages}
        if outcome.activities:
            await self.store.notify(conn, ACTIVITY_KIND)
            kinds.add(ACTIVITY_KIND)
        self.on_commit(kinds)


@dataclass
class ActivitySession:
    conn: Conn
    store: DurableStore
    item: WorkItem

    async def complete(self, result: OutMessage) -> None:
        """Deliver the result and retire the work item (committed together)."""
        await self.store.enqueue(self.conn, [result])
        await self.conn.execute("DELETE FROM work_items WHERE id = %s", (self.item.id,))


@dataclass
class EntitySession:
    conn: Conn
    store: DurableStore
    work: EntityWork

    async def commit(self, outcome: EntityOutcome) -> None:
        await self.conn.execute(
            "UPDATE entities SET entity_exists = %s, state = %s, "
            "last_operation_at = clock_timestamp() WHERE entity_id = %s",
            (outcome.exists, outcome.state, self.work.entity.entity_id),
        )
        await self.conn.execute("DELETE FROM inbox WHERE id = ANY(%s)", (outcome.consumed,))
        await self.store.enqueue(self.conn, outcome.messages)


class Dispatcher:
    """Claims for the three kinds of work. Each yields ``None`` when nothing is runnable."""

    def __init__(self, store: DurableStore, on_commit: Callable[[set[str]], None]) -> None:
        self._store = store
        self._on_commit = on_commit

    @asynccontextmanager
    async def episode(self) -> AsyncIterator[EpisodeSession | None]:
        async with self._store.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT i.* FROM instances i WHERE i.instance_id IN ("
                "SELECT m.target FROM inbox m JOIN instances j "
                "ON j.instance_id = m.target WHERE m.kind = 'o' "
                "AND m.visible_at <= clock_timestamp() "
                "AND (m.control OR j.status <> 'Suspended') "
                "GROUP BY m.target ORDER BY min(m.id) LIMIT %s) "
                "LIMIT 1 FOR UPDATE OF i SKIP LOCKED",
                (_CANDIDATES,),
            )
            row = await cur.fetchone()
            if row is None:
                yield None
                return
            instance = instance_from_row(row)
            cur = await conn.execute(
                "SELECT id, execution_id, event FROM inbox WHERE target = %s "
                "AND kind = 'o' AND visible_at <= clock_timestamp() "
                "ORDER BY id LIMIT %s",
                (instance.instance_id, EPISODE_BATCH_SIZE),
            )
            messages = _messages(list(await cur.fetchall()))
            if not messages:
                yield None
                return
            cur = await conn.execute(
                "SELECT event FROM history WHERE instance_id = %s ORDER BY seq",
                (instance.instance_id,),
            )
            history = [r["event"] for r in await cur.fetchall()]
            work = EpisodeWork(instance, history, messages)
            yield EpisodeSession(conn, self._store, work, self._on_commit)

    @asynccontextmanager
    async def activity(self) -> AsyncIterator[ActivitySession | None]:
        async with self._store.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT * FROM work_items ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
            )
            row = await cur.fetchone()
            if row is None:
                yield None
                return
            call = ActivityCall(
                row["instance_id"], row["execution_id"], row["task_id"], row["name"], row["input"]
            )
            yield ActivitySession(conn, self._store, WorkItem(row["id"], call))

    @asynccontextmanager
    async def entity_batch(self) -> AsyncIterator[EntitySession | None]:
        async with self._store.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT e.* FROM entities e WHERE e.entity_id IN ("
                "SELECT m.target FROM inbox m WHERE m.kind = 'e' "
                "AND m.visible_at <= clock_timestamp() "
                "GROUP BY m.target ORDER BY min(m.id) LIMIT %s) "
                "LIMIT 1 FOR UPDATE OF e SKIP LOCKED",
                (_CANDIDATES,),
            )
            row = await cur.fetchone()
            if row is None:
                yield None
                return
            entity = EntityRecord(
                row["entity_id"], row["name"], row["key"], row["entity_exists"], row["state"]
            )
            cur = await conn.execute(
                "SELECT id, execution_id, event FROM inbox WHERE target = %s "
                "AND kind = 'e' AND visible_at <= clock_timestamp() "
                "ORDER BY id LIMIT %s",
                (entity.entity_id, ENTITY_BATCH_SIZE),
            )
            messages = _messages(list(await cur.fetchall()))
            yield (
                EntitySession(conn, self._store, EntityWork(entity, messages)) if messages else None
            )
