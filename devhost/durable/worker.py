"""The dispatch loops: several worker tasks per kind of work, woken by LISTEN/NOTIFY.

Each worker claims one unit of work (an orchestration episode, an activity call, an entity
batch), runs it and commits, then immediately looks for more; when there is none it waits for a
wake-up. Wake-ups come from this process's own commits, from NOTIFY on the store's channel
(other devhosts sharing the schema) and from a timer task that sleeps until the next delayed
message becomes visible; a slow poll covers a lost LISTEN connection. Concurrency per kind is
configurable. Stopping cancels the tasks: a transaction in flight rolls back, which is safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from devhost.durable.activities import ActivityRunner
from devhost.durable.dispatch import ACTIVITY_KIND, Dispatcher
from devhost.durable.engine import EpisodeEngine
from devhost.durable.entities import EntityRunner
from devhost.durable.model import ENTITY, ORCHESTRATION
from devhost.durable.store import DurableStore
from devhost.invoker import Invoker

log = logging.getLogger("devhost.worker")

POLL_S = 2.0
ERROR_BACKOFF_S = 0.5
MAX_TIMER_SLEEP_S = 5.0


@dataclass(frozen=True)
class Concurrency:
    orchestrations: int = 4
    activities: int = 10
    entities: int = 2


TIMER_SCAN = "t"


class Waker:
    """Per-kind wake-up signals shared by the workers of one process.

    Any orchestration or entity wake-up also asks the timer task to rescan, since new
    messages may include delayed ones due earlier than its current sleep.
    """

    def __init__(self) -> None:
        kinds = (ORCHESTRATION, ACTIVITY_KIND, ENTITY, TIMER_SCAN)
        self._events = {k: asyncio.Event() for k in kinds}

    def wake(self, kinds: set[str] | str, *, rescan: bool = True) -> None:
        for kind in {kinds} if isinstance(kinds, str) else kinds:
            event = self._events.get(kind)
            if event is not None:
                event.set()
            if rescan and kind in (ORCHESTRATION, ENTITY):
                self._events[TIMER_SCAN].set()

    async def wait(self, kind: str, timeout: float) -> bool:
        """Wait for a wake-up of ``kind``; False when ``timeout`` passed without one."""
        event = self._events[kind]
        woken = True
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            woken = False
        event.clear()
        return woken


class Workers:
    """All dispatch tasks of one devhost."""

    def __init__(
        self,
        store: DurableStore,
        *,
        engine: EpisodeEngine,
        activities: ActivityRunner,
        entities: EntityRunner,
        invoker: Invoker,
        concurrency: Concurrency,
    ) -> None:
        self._store = store
        self._engine = engine
        self._activities = activities
        self._entities = entities
        self._invoker = invoker
        self._concurrency = concurrency
        self.waker = Waker()
        self._dispatcher = Dispatcher(store, self.waker.wake)
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        loops: list[tuple[str, int, Callable[[], Awaitable[bool]]]] = [
            (ORCHESTRATION, self._concurrency.orchestrations, self._episode),
            (ACTIVITY_KIND, self._concurrency.activities, self._activity),
            (ENTITY, self._concurrency.entities, self._entity_batch),
        ]
        for kind, count, step in loops:
            for n in range(count):
                name = f"devhost-{kind}-{n}"
                self._tasks.append(asyncio.create_task(self._loop(kind, step), name=name))
        self._tasks.append(asyncio.create_task(self._listen(), name="devhost-listen"))
        self._tasks.append(asyncio.create_task(self._timers(), name="devhost-timers"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _loop(self, kind: str, step: Callable[[], Awaitable[bool]]) -> None:
        while True:
            try:
                did_work = await step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s worker failed; retrying", kind)
                await asyncio.sleep(ERROR_BACKOFF_S)
                continue
            if not did_work:
                await self.waker.wait(kind, POLL_S)

    async def _claimed(
        self, claim: AbstractAsyncContextManager[Any], run: Callable[[Any], Awaitable[None]]
    ) -> bool:
        async with claim as session:
            if session is None:
                return False
            await run(session)
        return True

    async def _episode(self) -> bool:
        async def run(session: Any) -> None:
            now = datetime.now(UTC)
            outcome = await self._invoker.run_sync(self._engine.decide, session.work, now)
            await session.commit(outcome)

        return await self._claimed(self._dispatcher.episode(), run)

    async def _activity(self) -> bool:
        async def run(session: Any) -> None:
            result = await self._activities.run(session.item.call)
            await session.complete(result)
            self.waker.wake(ORCHESTRATION)

        return await self._claimed(self._dispatcher.activity(), run)

    async def _entity_batch(self) -> bool:
        async def run(session: Any) -> None:
            outcome = await self._entities.run(session.work)
            await session.commit(outcome)
            self.waker.wake({m.kind for m in outcome.messages})

        return await self._claimed(self._dispatcher.entity_batch(), run)

    async def _listen(self) -> None:
        """Forward NOTIFY wake-ups; reconnect after a lost connection."""
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(self._store.url, autocommit=True)
                async with conn:
                    await conn.execute(
                        sql.SQL("LISTEN {}").format(sql.Identifier(self._store.channel))
                    )
                    async for notice in conn.notifies():
                        self.waker.wake(notice.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("LISTEN connection lost (%s); polling until it is back", exc)
                await asyncio.sleep(POLL_S)

    async def _timers(self) -> None:
        """Wake orchestration and entity workers when the next delayed message is due."""
        while True:
            delay = MAX_TIMER_SLEEP_S
            try:
                async with self._store.pool.connection() as conn:
                    cur = await conn.execute(
                        "SELECT EXTRACT(EPOCH FROM (min(visible_at) - clock_timestamp())) AS due "
                        "FROM inbox WHERE visible_at > clock_timestamp()"
                    )
                    row = await cur.fetchone()
                due = row["due"] if row else None
                if due is not None:
                    delay = max(0.0, min(float(due), MAX_TIMER_SLEEP_S))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("timer scan failed: %s", exc)
            rescan = await self.waker.wait(TIMER_SCAN, delay + 0.001)
            if not rescan and delay < MAX_TIMER_SLEEP_S:
                self.waker.wake({ORCHESTRATION, ENTITY}, rescan=False)
