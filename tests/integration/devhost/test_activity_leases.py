"""Activity leases on the real store: a running activity holds no row lock or transaction, an
expired lease is claimed again, and a stale worker's completion is refused (fencing)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg

from devhost.durable.dispatch import Dispatcher
from devhost.durable.events import EventType, format_time, new_event, utc_now
from devhost.durable.model import ORCHESTRATION, OutMessage
from devhost.durable.store import DurableStore


def _with_store(database_url: str, body: Callable[[DurableStore], Awaitable[None]]) -> None:
    async def main() -> None:
        store = DurableStore(database_url, f"lease_{secrets.token_hex(4)}", max_connections=4)
        await store.open()
        try:
            async with store.pool.connection() as conn:
                await conn.execute(
                    "INSERT INTO instances (instance_id, name, execution_id, status) "
                    "VALUES ('i-1', 'flow', 'e-1', 'Running')"
                )
                await conn.execute(
                    "INSERT INTO work_items (instance_id, execution_id, task_id, name, input) "
                    "VALUES ('i-1', 'e-1', 0, 'step', '1')"
                )
            await body(store)
        finally:
            await store.close()

    asyncio.run(main())


def _result(task_id: int, value: str) -> OutMessage:
    event = new_event(
        EventType.TASK_COMPLETED, format_time(utc_now()), TaskScheduledId=task_id, Result=value
    )
    return OutMessage("i-1", ORCHESTRATION, event, "e-1")


async def _rows(store: DurableStore, sql: str) -> list[dict[str, Any]]:
    async with store.pool.connection() as conn:
        cur = await conn.execute(sql)
        return list(await cur.fetchall())


def test_a_claimed_activity_holds_no_row_lock_while_it_runs(database_url: str) -> None:
    async def body(store: DurableStore) -> None:
        lease = await Dispatcher(store, lease_s=30).activity()
        assert lease is not None and lease.token == 1
        # While "running", another session can lock the row at once: nothing holds it.
        async with await psycopg.AsyncConnection.connect(
            database_url, options=f"-c search_path={store.schema}"
        ) as other:
            cur = await other.execute(
                "SELECT id FROM work_items WHERE id = %s FOR UPDATE NOWAIT", (lease.item.id,)
            )
            assert await cur.fetchone() is not None
        assert await Dispatcher(store, lease_s=30).activity() is None  # leased: not claimable

    _with_store(database_url, body)


def test_an_expired_lease_is_claimed_again_and_the_stale_completion_is_refused(
    database_url: str,
) -> None:
    async def body(store: DurableStore) -> None:
        dispatcher = Dispatcher(store, lease_s=0.2)
        stale = await dispatcher.activity()
        assert stale is not None
        await asyncio.sleep(0.3)  # the stale worker stopped renewing (it hung or died)
        fresh = await dispatcher.activity()
        assert fresh is not None and fresh.item.id == stale.item.id
        assert fresh.token == stale.token + 1
        assert await stale.renew() is False
        assert await stale.complete(_result(0, '"stale"')) is None
        assert await _rows(store, "SELECT id FROM inbox") == []
        assert await fresh.renew() is True
        assert await fresh.complete(_result(0, '"fresh"')) == {ORCHESTRATION}
        [message] = await _rows(store, "SELECT event FROM inbox")
        assert message["event"]["Result"] == '"fresh"'
        assert await _rows(store, "SELECT id FROM work_items") == []
        assert await stale.complete(_result(0, '"late"')) is None  # also after it is retired

    _with_store(database_url, body)
