"""Queries and maintenance on the durable store: listing, purging and rewinding instances.

Purging deletes an instance's row, history and messages in one transaction; activity calls
already running finish and their results are discarded. Filtered purges only ever remove
finished instances. Rewind makes a failed instance run again from its history: the failure
events and the scheduling events they answer (with the retry timers created when those failures
were replayed) become GenericEvents, the ExecutionCompleted is dropped, and a wake-up message
starts an episode that schedules the failed calls anew; successful results are kept.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from devhost.durable.events import (
    TERMINAL,
    Event,
    EventType,
    RuntimeStatus,
    format_time,
    new_event,
    utc_now,
)
from devhost.durable.model import ORCHESTRATION, InstanceRecord, OutMessage
from devhost.durable.store import DurableStore, instance_from_row


class NotRewindable(Exception):
    """Only failed instances can be rewound."""


@dataclass(frozen=True)
class InstanceQuery:
    created_from: datetime | None = None
    created_to: datetime | None = None
    statuses: tuple[RuntimeStatus, ...] = ()
    prefix: str | None = None


# the same filter in both statements (kept literal: no SQL is assembled at run time)
_LIST_PAGE = (
    "SELECT * FROM instances WHERE "
    "(%(from)s::timestamptz IS NULL OR created_at >= %(from)s) "
    "AND (%(to)s::timestamptz IS NULL OR created_at <= %(to)s) "
    "AND (cardinality(%(statuses)s::text[]) = 0 OR status = ANY(%(statuses)s)) "
    "AND (%(prefix)s::text IS NULL OR starts_with(instance_id, %(prefix)s)) "
    "AND (%(after)s::timestamptz IS NULL "
    "OR (created_at, instance_id) > (%(after)s::timestamptz, %(after_id)s)) "
    "ORDER BY created_at, instance_id LIMIT %(limit)s"
)
_MATCHING_IDS = (
    "SELECT instance_id FROM instances WHERE "
    "(%(from)s::timestamptz IS NULL OR created_at >= %(from)s) "
    "AND (%(to)s::timestamptz IS NULL OR created_at <= %(to)s) "
    "AND (cardinality(%(statuses)s::text[]) = 0 OR status = ANY(%(statuses)s)) "
    "AND (%(prefix)s::text IS NULL OR starts_with(instance_id, %(prefix)s)) "
)


def _filter(query: InstanceQuery) -> dict[str, Any]:
    return {
        "from": query.created_from,
        "to": query.created_to,
        "statuses": [str(s) for s in query.statuses],
        "prefix": query.prefix or None,
    }


def _token(record: InstanceRecord) -> str:
    raw = json.dumps([record.created_at.isoformat(), record.instance_id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


async def list_instances(
    store: DurableStore, query: InstanceQuery, top: int, continuation: str | None
) -> tuple[list[InstanceRecord], str | None]:
    """One page, oldest first; the token continues after the page's last instance."""
    params = {**_filter(query), "after": None, "after_id": "", "limit": top + 1}
    if continuation:
        after, after_id = json.loads(base64.urlsafe_b64decode(continuation.encode()))
        params.update(after=after, after_id=after_id)
    async with store.pool.connection() as conn:
        cur = await conn.execute(_LIST_PAGE, params)
        rows = [instance_from_row(r) for r in await cur.fetchall()]
    page = rows[:top]
    return page, _token(page[-1]) if len(rows) > top else None


async def purge(store: DurableStore, instance_ids: list[str]) -> int:
    """Delete these instances entirely; returns how many existed."""
    async with store.pool.connection() as conn, conn.transaction():
        cur = await conn.execute(
            "DELETE FROM instances WHERE instance_id = ANY(%s) RETURNING instance_id",
            (instance_ids,),
        )
        deleted = [r["instance_id"] for r in await cur.fetchall()]
        await conn.execute("DELETE FROM history WHERE instance_id = ANY(%s)", (deleted,))
        await conn.execute("DELETE FROM inbox WHERE kind = 'o' AND target = ANY(%s)", (deleted,))
        await conn.execute(
            "DELETE FROM work_items WHERE id IN (SELECT id FROM work_items "
            "WHERE instance_id = ANY(%s) FOR UPDATE SKIP LOCKED)",
            (deleted,),
        )
    return len(deleted)


async def purge_finished(store: DurableStore, query: InstanceQuery) -> int:
    """Purge the finished instances matching ``query`` (never running ones)."""
    statuses = tuple(s for s in query.statuses or tuple(TERMINAL) if s in TERMINAL)
    if not statuses:
        return 0
    filtered = InstanceQuery(query.created_from, query.created_to, statuses, query.prefix)
    async with store.pool.connection() as conn:
        cur = await conn.execute(_MATCHING_IDS, _filter(filtered))
        ids = [r["instance_id"] for r in await cur.fetchall()]
    return await purge(store, ids) if ids else 0


def _rewound(history: list[Event], reason: str) -> list[Event]:
    failures = {EventType.TASK_FAILED: EventType.TASK_SCHEDULED}
    failures[EventType.SUB_ORCHESTRATION_FAILED] = EventType.SUB_ORCHESTRATION_CREATED
    undo: set[int] = set()
    episode_start = 0
    retry_timers: set[int] = set()
    for index, event in enumerate(history):
        kind = event["EventType"]
        if kind == EventType.ORCHESTRATOR_STARTED:
            episode_start = index
        if kind in failures:
            undo.add(index)
            task_id = event.get("TaskScheduledId")
            undo.update(
                i
                for i, e in enumerate(history)
                if e["EventType"] == failures[kind] and e.get("EventId") == task_id
            )
            for i in range(episode_start, len(history)):
                later = history[i]
                if i > episode_start and later["EventType"] == EventType.ORCHESTRATOR_STARTED:
                    break
                if later["EventType"] == EventType.TIMER_CREATED:
                    undo.add(i)
                    retry_timers.add(int(later["EventId"]))
        if kind == EventType.TIMER_FIRED and event.get("TimerId") in retry_timers:
            undo.add(index)
        if kind == EventType.EXECUTION_COMPLETED:
            undo.add(index)
    kept: list[Event] = []
    for index, event in enumerate(history):
        if index not in undo:
            kept.append(event)
        elif event["EventType"] != EventType.EXECUTION_COMPLETED:
            name = EventType(event["EventType"]).name
            kept.append(new_event(EventType.GENERIC, event["Timestamp"], Data=f"Rewound: {name}"))
    return [*kept, new_event(EventType.GENERIC, format_time(utc_now()), Data=f"Rewind: {reason}")]


async def rewind(store: DurableStore, instance_id: str, reason: str) -> None:
    """Rewind a failed instance (``NotRewindable`` otherwise); it then runs again."""
    async with store.pool.connection() as conn, conn.transaction():
        cur = await conn.execute(
            "SELECT * FROM instances WHERE instance_id = %s FOR UPDATE", (instance_id,)
        )
        row = await cur.fetchone()
        if row is None or row["status"] != RuntimeStatus.FAILED:
            raise NotRewindable(instance_id)
        record = instance_from_row(row)
        cur = await conn.execute(
            "SELECT event FROM history WHERE instance_id = %s ORDER BY seq", (instance_id,)
        )
        history = _rewound([r["event"] for r in await cur.fetchall()], reason)
        await conn.execute("DELETE FROM history WHERE instance_id = %s", (instance_id,))
        async with conn.cursor() as cursor:
            await cursor.executemany(
                "INSERT INTO history (instance_id, seq, event) VALUES (%s, %s, %s)",
                [(instance_id, i, Jsonb(e)) for i, e in enumerate(history)],
            )
        await conn.execute(
            "UPDATE instances SET status = 'Running', output = NULL, "
            "updated_at = clock_timestamp() WHERE instance_id = %s",
            (instance_id,),
        )
        wake = new_event(EventType.GENERIC, format_time(utc_now()), Data="rewind")
        message = OutMessage(instance_id, ORCHESTRATION, wake, record.execution_id)
        kinds = await store.enqueue_and_notify(conn, [message])
    store.committed(kinds)
