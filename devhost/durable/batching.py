"""Group commit for the management API's writes: callers queue items, one writer task writes
them a batch (one statement, one commit, one NOTIFY) at a time, and each caller waits for its
item's outcome. ``starts`` and ``raises`` say what a batch is and what its statement answers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from psycopg_pool import AsyncConnectionPool

if TYPE_CHECKING:
    from devhost.durable.store import Conn

MAX_BATCH = 256
Item = TypeVar("Item")


class Batcher(Generic[Item]):
    """Writes queued items in batches, one batch in flight at a time."""

    def __init__(
        self,
        pool: AsyncConnectionPool[Conn],
        channel: str,
        payload: str,
        on_commit: Callable[[], None],
    ) -> None:
        """``payload`` is the NOTIFY payload for new orchestration work; ``on_commit`` wakes
        this process's orchestration workers."""
        self._pool = pool
        self._notify = (channel, payload)
        self._on_commit = on_commit
        self._queue: list[Item] = []
        self._writer: asyncio.Task[None] | None = None

    def _enqueue(self, item: Item) -> None:
        self._queue.append(item)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write(), name=f"devhost-{type(self).__name__}")

    def _next_batch(self) -> list[Item]:
        """Take the next batch off the queue (the oldest ``MAX_BATCH`` items)."""
        batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        return batch

    async def _write(self) -> None:
        try:
            while self._queue:
                await self._write_batch(self._next_batch())
        finally:
            self._writer = None

    async def _write_batch(self, batch: list[Item]) -> None:
        raise NotImplementedError

    async def _run(
        self, statement: str, params: tuple[object, ...], waiting: list[asyncio.Future[Any]]
    ) -> dict[str, Any] | Literal[False] | None:
        """Run one batch's statement (the NOTIFY's channel and payload appended to ``params``)
        and return its row; ``False`` when it failed, after handing the error to every caller
        ``waiting`` (a cancellation cancels them and propagates)."""
        try:
            async with self._pool.connection() as conn:
                cur = await conn.execute(statement, (*params, *self._notify), prepare=True)
                return await cur.fetchone()
        except asyncio.CancelledError:
            for future in waiting:
                future.cancel()
            raise
        except Exception as exc:
            for future in waiting:
                future.set_exception(exc)
            return False
