"""Raising external events: concurrent raises share one statement (group commit).

An event is durable before it is acknowledged: ``raise_event`` returns once the statement that
queued its ``EventRaised`` message has committed. One statement per batch also decides what the
management API answers: it reads each target's status and queues the message only for an
instance that exists and has not finished, so a raise costs one pool checkout and one round
trip (not a status read, then a write), and under load one round trip, one commit and one
NOTIFY serve many raises — as ``starts`` does for starts. Raises for one instance are queued in
the order they were made.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass, field

from psycopg.types.json import Jsonb

from devhost.durable.batching import Batcher
from devhost.durable.events import TERMINAL, EventType, format_time, new_event, utc_now

# One statement: the targets' statuses in request order; a message queued (in request order) for
# each target that exists and has not finished; one NOTIFY when any was queued.
_RAISE_BATCH = """
WITH req AS (
    SELECT * FROM unnest(%b::text[], %b::jsonb[]) WITH ORDINALITY AS r(instance_id, event, ord)
), found AS (
    SELECT r.ord, r.instance_id, r.event, i.status
    FROM req r LEFT JOIN instances i USING (instance_id)
), queued AS (
    INSERT INTO inbox (target, kind, event)
    SELECT instance_id, 'o', event FROM found
    WHERE status IS NOT NULL AND NOT status = ANY(%b::text[]) ORDER BY ord
    RETURNING 1
), woken AS (
    SELECT pg_notify(%s, %s) FROM (SELECT 1 FROM queued LIMIT 1) q
)
SELECT array_agg(status ORDER BY ord) AS statuses, (SELECT count(*) FROM woken) AS woken
FROM found
"""


class Raised(enum.Enum):
    """What became of a raise (the management API's 202, 404 and 410)."""

    QUEUED = "queued"
    NO_INSTANCE = "no-instance"
    FINISHED = "finished"


@dataclass
class _Raise:
    instance_id: str
    event: dict[str, object]
    outcome: asyncio.Future[Raised] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class EventBatcher(Batcher[_Raise]):
    """Writes raised events in batches, one batch in flight at a time."""

    async def raise_event(self, instance_id: str, name: str, input_text: str | None) -> Raised:
        """Queue ``EventRaised`` ``name`` for the instance unless it is missing or finished;
        committed on return."""
        stamp = format_time(utc_now())
        pending = _Raise(
            instance_id, new_event(EventType.EVENT_RAISED, stamp, Name=name, Input=input_text)
        )
        self._enqueue(pending)
        return await asyncio.shield(pending.outcome)

    async def _write_batch(self, batch: list[_Raise]) -> None:
        terminal = sorted(s.value for s in TERMINAL)
        params = ([r.instance_id for r in batch], [Jsonb(r.event) for r in batch], terminal)
        row = await self._run(_RAISE_BATCH, params, [pending.outcome for pending in batch])
        if row is False:
            return
        assert row is not None
        if row["woken"]:
            self._on_commit()
        for pending, status in zip(batch, row["statuses"], strict=True):
            pending.outcome.set_result(_outcome(status, terminal))


def _outcome(status: str | None, terminal: list[str]) -> Raised:
    if status is None:
        return Raised.NO_INSTANCE
    return Raised.FINISHED if status in terminal else Raised.QUEUED
