"""Orchestration episodes, claimed and committed in batches.

A worker claims up to ``EPISODE_CLAIM`` instances that have visible messages, in one transaction
(``FOR UPDATE SKIP LOCKED``), reads their messages and histories in one more round trip, lets the
engine decide each episode, then appends the histories, enqueues the effects (activity work
items, timers as delayed messages, sub-orchestration starts, entity requests, parents'
notifications), deletes the consumed messages and updates the instances with set-based
statements that travel with the COMMIT. The transaction is still the unit of safety: a crash
rolls back every episode of the batch, none is half written and none is done twice. Under load
the claim, the reads, the writes and the commit are paid once per batch instead of once per
episode; with one instance waiting, a batch is that one episode.

The claim looks at the oldest visible messages only (``_CANDIDATES`` of them, in ``visible_at``
order, which the ``inbox_visible`` index serves), so its cost does not grow with the backlog.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from psycopg import AsyncCursor
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from devhost.durable.model import ACTIVITY, EpisodeOutcome, EpisodeWork, Message
from devhost.durable.store import Conn, DurableStore, instance_from_row

EPISODE_CLAIM = 32  # instances per batch
EPISODE_BATCH_SIZE = 500  # messages per instance and episode
_CANDIDATES = 512

_CLAIM = (
    "SELECT i.* FROM instances i WHERE i.instance_id IN ("
    "SELECT m.target FROM inbox m JOIN instances j ON j.instance_id = m.target "
    "WHERE m.kind = 'o' AND m.visible_at <= statement_timestamp() "
    "AND (m.control OR j.status <> 'Suspended') ORDER BY m.visible_at LIMIT %s) "
    "LIMIT %s FOR UPDATE OF i SKIP LOCKED"
)
_MESSAGES = (
    "SELECT m.* FROM unnest(%b::text[]) AS t(target) CROSS JOIN LATERAL ("
    "SELECT target, id, execution_id, event FROM inbox WHERE target = t.target AND kind = 'o' "
    "AND visible_at <= clock_timestamp() ORDER BY id LIMIT %s) m"
)
_HISTORIES = (
    "SELECT instance_id, event FROM history WHERE instance_id = ANY(%b::text[]) "
    "ORDER BY instance_id, seq"
)
_APPEND = (
    "INSERT INTO history (instance_id, seq, event) "
    "SELECT i, s, e::jsonb FROM unnest(%b::text[], %b::int[], %b::text[]) AS h(i, s, e)"
)
_UPDATE = (
    "UPDATE instances i SET status = u.status, execution_id = u.execution_id, input = u.input, "
    "output = u.output, custom_status = u.custom_status, name = u.name, "
    "parent = u.parent::jsonb, updated_at = clock_timestamp(), "
    "created_at = CASE WHEN u.recreated THEN clock_timestamp() ELSE i.created_at END "
    "FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], "
    "%b::text[], %b::text[], %b::bool[]) AS u(instance_id, status, execution_id, input, output, "
    "custom_status, name, parent, recreated) WHERE i.instance_id = u.instance_id"
)

Decided = list[tuple[EpisodeWork, EpisodeOutcome]]


@dataclass
class EpisodeBatch:
    """Claimed episodes: ``works`` to decide, ``commit`` to write the outcomes."""

    conn: Conn
    store: DurableStore
    works: list[EpisodeWork]
    more: bool = False

    async def commit(self, decided: Decided) -> set[str]:
        """Queue the outcomes' writes (pipelined); the kinds of work they create."""
        outcomes = [outcome for _, outcome in decided]
        async with self.conn.cursor() as cur:
            resets = [w.instance.instance_id for w, o in decided if o.reset_history]
            if resets:
                await cur.execute(
                    "DELETE FROM history WHERE instance_id = ANY(%b::text[])", (resets,)
                )
            appended = _appended(decided)
            if appended[0]:
                await cur.execute(_APPEND, appended)
            consumed = [i for o in outcomes for i in o.consumed]
            await cur.execute("DELETE FROM inbox WHERE id = ANY(%b::bigint[])", (consumed,))
            drops = [
                (w.instance.instance_id, o.drop_messages_of)
                for w, o in decided
                if o.drop_messages_of
            ]
            if drops:
                await cur.executemany(
                    "DELETE FROM inbox WHERE target = %s AND kind = 'o' AND execution_id = %s",
                    drops,
                )
            updates = _updates(decided)
            if updates[0]:
                await cur.execute(_UPDATE, updates)
            await _insert_effects(cur, outcomes)
        kinds = await self.store.enqueue(self.conn, [m for o in outcomes for m in o.messages])
        if any(o.activities for o in outcomes):
            kinds.add(ACTIVITY)
        await self.store.notify(self.conn, kinds)
        return kinds


def _appended(decided: Decided) -> tuple[list[str], list[int], list[str]]:
    ids: list[str] = []
    seqs: list[int] = []
    events: list[str] = []
    for work, outcome in decided:
        base = 0 if outcome.reset_history else len(work.history)
        for n, event in enumerate(outcome.append):
            ids.append(work.instance.instance_id)
            seqs.append(base + n)
            events.append(json.dumps(event))
    return ids, seqs, events


def _updates(decided: Decided) -> tuple[list[object], ...]:
    columns: tuple[list[object], ...] = tuple([] for _ in range(9))
    for work, outcome in decided:
        update = outcome.update
        if update is None:
            continue
        parent = json.dumps(update.parent) if update.parent is not None else None
        row = (
            work.instance.instance_id,
            str(update.status),
            update.execution_id,
            update.input,
            update.output,
            update.custom_status,
            update.name,
            parent,
            update.recreated,
        )
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    return columns


async def _insert_effects(cur: AsyncCursor[DictRow], outcomes: list[EpisodeOutcome]) -> None:
    """Sub-orchestration rows and activity work items."""
    new_instances = [n for o in outcomes for n in o.new_instances]
    if new_instances:
        await cur.executemany(
            "INSERT INTO instances (instance_id, name, execution_id, status, input, parent) "
            "VALUES (%s, %s, %s, 'Pending', %s, %s) ON CONFLICT (instance_id) DO NOTHING",
            [
                (n.instance_id, n.name, n.execution_id, n.input, Jsonb(n.parent))
                for n in new_instances
            ],
        )
    activities = [a for o in outcomes for a in o.activities]
    if activities:
        await cur.executemany(
            "INSERT INTO work_items (instance_id, execution_id, task_id, name, input) "
            "VALUES (%s, %s, %s, %s, %s)",
            [(a.instance_id, a.execution_id, a.task_id, a.name, a.input) for a in activities],
        )


@asynccontextmanager
async def claim_episodes(store: DurableStore) -> AsyncIterator[EpisodeBatch | None]:
    """Claim up to ``EPISODE_CLAIM`` instances with visible messages (None: nothing to do).

    The connection runs in pipeline mode: the claim and the two reads cost two round trips, and
    the writes travel with the COMMIT.
    """
    async with store.pool.connection() as conn, conn.pipeline(), conn.transaction():
        cur = await conn.execute(_CLAIM, (_CANDIDATES, EPISODE_CLAIM))
        rows = await cur.fetchall()
        if not rows:
            yield None
            return
        instances = [instance_from_row(row) for row in rows]
        ids = [instance.instance_id for instance in instances]
        messages_cur = await conn.execute(_MESSAGES, (ids, EPISODE_BATCH_SIZE))
        history_cur = await conn.execute(_HISTORIES, (ids,))
        messages: dict[str, list[Message]] = defaultdict(list)
        for row in await messages_cur.fetchall():
            messages[row["target"]].append(Message(row["id"], row["execution_id"], row["event"]))
        histories: dict[str, list[dict[str, object]]] = defaultdict(list)
        for row in await history_cur.fetchall():
            histories[row["instance_id"]].append(row["event"])
        works = [
            EpisodeWork(i, histories[i.instance_id], messages[i.instance_id])
            for i in instances
            if messages[i.instance_id]
        ]
        yield EpisodeBatch(conn, store, works, more=len(rows) == EPISODE_CLAIM) if works else None
