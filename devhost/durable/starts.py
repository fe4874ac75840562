"""Starting orchestration instances: concurrent starts share one statement (group commit).

A start is durable before it is acknowledged: ``create`` returns once the statement that inserted
the instance row and its ExecutionStarted message has committed. Starts that arrive while a batch
is being written wait for the next one, so under load one round trip, one commit and one NOTIFY
serve many starts, while a lone start costs a single round trip. An id that already has a row
takes the slow path, a transaction that locks the row and then refuses the start (the instance
has not finished) or replaces the finished instance, as the Durable extension does.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field

from devhost.durable.batching import MAX_BATCH, Batcher
from devhost.durable.events import EventType, RuntimeStatus, format_time, new_event, utc_now

# One statement: it inserts the rows whose id is free, queues their ExecutionStarted messages in
# arrival order and NOTIFYs once; it answers the ids it created (no row: none was).
_CREATE_BATCH = """
WITH req AS (
    SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[])
        WITH ORDINALITY AS r(instance_id, name, execution_id, input, version, event, ord)
), created AS (
    INSERT INTO instances (instance_id, name, execution_id, status, input, version)
    SELECT instance_id, name, execution_id, 'Pending', input, version FROM req
    ON CONFLICT (instance_id) DO NOTHING
    RETURNING instance_id
), queued AS (
    INSERT INTO inbox (target, kind, execution_id, event)
    SELECT r.instance_id, 'o', r.execution_id, r.event::jsonb
    FROM req r JOIN created c USING (instance_id) ORDER BY r.ord
    RETURNING target
)
SELECT array_agg(target) AS created, pg_notify(%s, %s) FROM queued HAVING count(*) > 0
"""
_REPLACE = (
    "UPDATE instances SET name = %s, execution_id = %s, status = 'Pending', input = %s, "
    "version = %s, output = NULL, custom_status = NULL, parent = NULL, "
    "created_at = clock_timestamp(), updated_at = clock_timestamp() WHERE instance_id = %s"
)
_INSERT = (
    "INSERT INTO instances (instance_id, name, execution_id, status, input, version) "
    "VALUES (%s, %s, %s, 'Pending', %s, %s)"
)
_QUEUE = "INSERT INTO inbox (target, kind, execution_id, event) VALUES (%s, 'o', %s, %s::jsonb)"


class InstanceExists(Exception):
    """An instance with that id exists and has not finished."""


@dataclass
class _Start:
    name: str
    instance_id: str
    input: str | None
    version: str
    execution_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    event: str = ""
    created: asyncio.Future[bool] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def __post_init__(self) -> None:
        instance = {"InstanceId": self.instance_id, "ExecutionId": self.execution_id}
        started = new_event(
            EventType.EXECUTION_STARTED,
            format_time(utc_now()),
            Name=self.name,
            Input=self.input,
            Version=self.version,
            OrchestrationInstance=instance,
            ParentInstance=None,
        )
        self.event = json.dumps(started)


class StartBatcher(Batcher[_Start]):
    """Writes starts in batches, one batch in flight at a time."""

    async def create(
        self, name: str, instance_id: str, input_text: str | None, version: str
    ) -> None:
        """Create (or replace a finished) instance and queue its start; committed on return.

        Raises ``InstanceExists`` when an unfinished instance already has the id.
        """
        start = _Start(name, instance_id, input_text, version)
        self._enqueue(start)
        if not await asyncio.shield(start.created):
            await self._replace(start)

    def _next_batch(self) -> list[_Start]:
        batch: dict[str, _Start] = {}
        later: list[_Start] = []
        for start in self._queue:  # an id twice waits for the next batch
            if start.instance_id in batch or len(batch) >= MAX_BATCH:
                later.append(start)
            else:
                batch[start.instance_id] = start
        self._queue = later
        return list(batch.values())

    async def _write_batch(self, batch: list[_Start]) -> None:
        columns = (
            [s.instance_id for s in batch],
            [s.name for s in batch],
            [s.execution_id for s in batch],
            [s.input for s in batch],
            [s.version for s in batch],
            [s.event for s in batch],
        )
        row = await self._run(_CREATE_BATCH, columns, [start.created for start in batch])
        if row is False:
            return
        created = set(row["created"]) if row else set()
        if created:
            self._on_commit()
        for start in batch:
            start.created.set_result(start.instance_id in created)

    async def _replace(self, start: _Start) -> None:
        """The id has a row: refuse, or replace the finished instance (one transaction)."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT status FROM instances WHERE instance_id = %s FOR UPDATE",
                (start.instance_id,),
            )
            row = await cur.fetchone()
            values = (start.name, start.execution_id, start.input, start.version)
            if row is None:  # purged since the batch saw it
                await conn.execute(_INSERT, (start.instance_id, *values))
            elif not RuntimeStatus(row["status"]).is_terminal:
                raise InstanceExists(
                    f"An Orchestration instance with the ID '{start.instance_id}' already "
                    f"exists and is {row['status']}."
                )
            else:
                await conn.execute(_REPLACE, (*values, start.instance_id))
            await conn.execute(_QUEUE, (start.instance_id, start.execution_id, start.event))
            await conn.execute("SELECT pg_notify(%s, %s)", self._notify)
        self._on_commit()
