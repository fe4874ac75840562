"""The durable store on PostgreSQL: connection pool, wake-up channel, and the client's writes.

Every write that makes work runnable (a new instance, an event, a terminate) inserts inbox rows
and ``pg_notify``s the store's channel in the same transaction, so workers of any devhost sharing
the schema wake up once it commits (starts and raised events are written in batches by
``starts`` and ``raises``, on connections of their own). Messages to
orchestrations are only inserted while the target instance exists, so a purge never leaves
orphans behind.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from devhost.durable.events import EventType, RuntimeStatus, format_time, new_event, utc_now
from devhost.durable.model import (
    ENTITY,
    ORCHESTRATION,
    TIMER_KIND,
    InstanceRecord,
    OutMessage,
)
from devhost.durable.raises import EventBatcher, Raised
from devhost.durable.schema import check_schema_name, connection_options, ensure_schema
from devhost.durable.starts import StartBatcher

Conn = AsyncConnection[DictRow]
#: Connections kept for starts and raises (see ``DurableStore``).
CLIENT_CONNECTIONS = 3


def instance_from_row(row: dict[str, Any]) -> InstanceRecord:
    return InstanceRecord(
        instance_id=row["instance_id"],
        name=row["name"],
        execution_id=row["execution_id"],
        status=RuntimeStatus(row["status"]),
        input=row["input"],
        output=row["output"],
        custom_status=row["custom_status"],
        parent=row["parent"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )


def split_entity_id(entity_id: str) -> tuple[str, str]:
    """``@name@key`` -> (name, key)."""
    _, name, key = entity_id.split("@", 2)
    return name, key


class DurableStore:
    """The pool, the schema and the writes that start or steer work."""

    def __init__(
        self,
        url: str,
        schema: str,
        *,
        max_connections: int = 20,
        on_commit: Callable[[set[str]], None] | None = None,
    ) -> None:
        """``on_commit`` hears the kinds of work a client operation created, once committed
        (this process's workers skip their own NOTIFYs)."""
        self._on_commit = on_commit or (lambda _kinds: None)
        self.schema = check_schema_name(schema)
        self.url = url
        self.channel = f"devhost_{schema}"
        self.origin = uuid.uuid4().hex  # tags this process's NOTIFYs, so it skips its own
        self.pool = self._new_pool(2, max_connections)
        # Starts and raises (what HTTP functions wait for) have connections of their own: the
        # workers' episodes hold theirs while orchestrators replay, and under load a raise
        # waited seconds for one. One batch of each kind is in flight at a time (+1: a start's
        # slow path), so this pool never grows.
        self._client_pool = self._new_pool(CLIENT_CONNECTIONS, CLIENT_CONNECTIONS)
        self._starts = StartBatcher(
            self._client_pool,
            self.channel,
            self._payload({ORCHESTRATION}),
            lambda: self._on_commit({ORCHESTRATION}),
        )
        self._raises = EventBatcher(
            self._client_pool,
            self.channel,
            self._payload({ORCHESTRATION}),
            lambda: self._on_commit({ORCHESTRATION}),
        )

    def _new_pool(self, min_size: int, max_size: int) -> AsyncConnectionPool[Conn]:
        return AsyncConnectionPool(
            self.url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            kwargs={
                "autocommit": True,
                "row_factory": dict_row,
                "options": connection_options(self.schema),
            },
        )

    async def open(self) -> None:
        await self.pool.open(wait=True, timeout=30)
        async with self.pool.connection() as conn:
            await ensure_schema(conn, self.schema)
        await self._client_pool.open(wait=True, timeout=30)

    async def close(self) -> None:
        await self._client_pool.close()
        await self.pool.close()

    # --- writes shared with the dispatcher ------------------------------------------------
    async def enqueue(self, conn: Conn, messages: Iterable[OutMessage]) -> set[str]:
        """Insert inbox messages (entities get their row); the kinds of work they create.

        ``TIMER_KIND`` is among them when a message is delayed. The caller notifies.
        """
        batch = list(messages)
        entities = {m.target: split_entity_id(m.target) for m in batch if m.kind == ENTITY}
        rows = [
            (
                m.target,
                m.kind,
                m.execution_id,
                m.control,
                Jsonb(m.event),
                m.visible_at,
                m.kind,
                m.target,
            )
            for m in batch
        ]
        async with conn.cursor() as cur:
            if entities:
                await cur.executemany(
                    "INSERT INTO entities (entity_id, name, key) VALUES (%s, %s, %s) "
                    "ON CONFLICT (entity_id) DO NOTHING",
                    [(target, *parts) for target, parts in entities.items()],
                )
            if rows:
                await cur.executemany(
                    "INSERT INTO inbox (target, kind, execution_id, control, event, "
                    "visible_at) SELECT %s, %s, %s, %s, %s, COALESCE(%s, clock_timestamp()) "
                    "WHERE %s = 'e' OR EXISTS (SELECT 1 FROM instances "
                    "WHERE instance_id = %s)",
                    rows,
                )
        kinds = {m.kind for m in batch}
        if any(m.visible_at is not None for m in batch):
            kinds.add(TIMER_KIND)
        return kinds

    async def notify(self, conn: Conn, kinds: set[str]) -> None:
        """NOTIFY the store's channel (delivered at commit): ``<kinds>:<origin>``."""
        if kinds:
            await conn.execute("SELECT pg_notify(%s, %s)", (self.channel, self._payload(kinds)))

    def _payload(self, kinds: set[str]) -> str:
        return "".join(sorted(kinds)) + ":" + self.origin

    async def enqueue_and_notify(self, conn: Conn, messages: Iterable[OutMessage]) -> set[str]:
        kinds = await self.enqueue(conn, messages)
        await self.notify(conn, kinds)
        return kinds

    async def _send(self, messages: list[OutMessage]) -> None:
        """Queue messages in a transaction of their own, then wake this process's workers."""
        async with self.pool.connection() as conn, conn.transaction():
            kinds = await self.enqueue_and_notify(conn, messages)
        self._on_commit(kinds)

    def committed(self, kinds: set[str]) -> None:
        """Tell this process's workers about work committed outside ``_send``."""
        self._on_commit(kinds)

    # --- client operations -----------------------------------------------------------------
    async def create_instance(
        self, name: str, instance_id: str, input_text: str | None, version: str = ""
    ) -> None:
        """Create (or replace a finished) instance and queue its start (committed on return).

        Raises ``InstanceExists`` when an unfinished instance already has the id.
        """
        await self._starts.create(name, instance_id, input_text, version)

    async def get_instance(self, instance_id: str) -> InstanceRecord | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT * FROM instances WHERE instance_id = %s", (instance_id,)
            )
            row = await cur.fetchone()
        return instance_from_row(row) if row else None

    async def get_history(self, instance_id: str) -> list[dict[str, Any]]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT event FROM history WHERE instance_id = %s ORDER BY seq",
                (instance_id,),
            )
            return [row["event"] for row in await cur.fetchall()]

    async def send(self, instance_id: str, event: dict[str, Any], *, control: bool) -> None:
        """Queue an event for whichever execution of the instance is current."""
        await self._send([OutMessage(instance_id, ORCHESTRATION, event, None, None, control)])

    async def raise_event(self, instance_id: str, name: str, input_text: str | None) -> Raised:
        """Queue the event for an instance that exists and has not finished (committed on
        return); what became of it."""
        return await self._raises.raise_event(instance_id, name, input_text)

    async def signal_entity(self, entity_id: str, operation: str, input_text: str | None) -> None:
        request = {"id": str(uuid.uuid4()), "op": operation, "signal": True, "input": input_text}
        stamp = format_time(utc_now())
        event = new_event(EventType.EVENT_RAISED, stamp, Name="op", Input=json.dumps(request))
        await self._send([OutMessage(entity_id, ENTITY, event)])

    async def read_entity(self, entity_id: str) -> tuple[bool, str | None]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT entity_exists, state FROM entities WHERE entity_id = %s",
                (entity_id,),
            )
            row = await cur.fetchone()
        if row is None or not row["entity_exists"]:
            return False, None
        return True, row["state"]

    async def claim_timer(self, name: str, due: datetime) -> bool:
        """Whether this host fires timer ``name``'s occurrence ``due`` (each fires once)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO timer_runs (name, last_due) VALUES (%s, %s) ON CONFLICT (name) "
                "DO UPDATE SET last_due = EXCLUDED.last_due "
                "WHERE timer_runs.last_due < EXCLUDED.last_due RETURNING name",
                (name, due),
            )
            return await cur.fetchone() is not None

    async def list_entities(self, name: str | None) -> list[dict[str, Any]]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT * FROM entities WHERE entity_exists "
                "AND (%(name)s::text IS NULL OR name = %(name)s) ORDER BY entity_id",
                {"name": name.lower() if name else None},
            )
            return list(await cur.fetchall())
