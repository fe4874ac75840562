"""The dispatch loops: several worker tasks per kind of work, woken by LISTEN/NOTIFY.

Each worker claims one unit of work (a batch of orchestration episodes, an activity call, an
entity batch), runs it and commits, then immediately looks for more (activities run on a lease,
outside any transaction: ``dispatch``); when there is none it waits
for a wake-up. Wake-ups come from this process's own commits, from NOTIFY on the store's channel
(other devhosts sharing the schema) and from a timer task that sleeps until the next delayed
message becomes visible; a slow poll covers a lost LISTEN connection. Concurrency per kind is
configurable; an activity lease that expired (its worker died) is found by the same poll.
Stopping cancels the tasks: a transaction in flight rolls back, a lease expires, both safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from devhost.durable.activities import ActivityRunner
from devhost.durable.deciders import Decider
from devhost.durable.dispatch import DEFAULT_LEASE_S, ActivityLease, Dispatcher
from devhost.durable.entities import EntityRunner
from devhost.durable.episodes import EpisodeBatch, claim_episodes
from devhost.durable.model import ACTIVITY, ENTITY, ORCHESTRATION, TIMER_KIND
from devhost.durable.store import DurableStore

log = logging.getLogger("devhost.worker")

POLL_S = 2.0
MORE = "+"  # marks a unit claimed while other work of its kind was waiting
ERROR_BACKOFF_S = 0.5
MAX_TIMER_SLEEP_S = 5.0


@dataclass(frozen=True)
class Concurrency:
    orchestrations: int = 4
    activities: int = 10
    entities: int = 2


class _Signal:
    """Wakes ONE waiting worker per call (no thundering herd); remembers one early wake."""

    def __init__(self) -> None:
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._pending = False

    def wake(self) -> None:
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_result(None)
                return
        self._pending = True

    async def wait(self, timeout: float) -> bool:
        if self._pending:
            self._pending = False
            return True
        future = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return False
        return True


class Waker:
    """Per-kind wake-ups for the workers of one process.

    A wake-up reaches one idle worker; a worker that found work wakes one more before running
    it, so as many workers join as there is work, without every worker querying on every
    commit.
    """

    def __init__(self) -> None:
        self._signals = {k: _Signal() for k in (ORCHESTRATION, ACTIVITY, ENTITY, TIMER_KIND)}

    def wake(self, kinds: set[str] | str) -> None:
        for kind in {kinds} if isinstance(kinds, str) else kinds:
            signal = self._signals.get(kind)
            if signal is not None:
                signal.wake()

    async def wait(self, kind: str, timeout: float) -> bool:
        """Wait for a wake-up of ``kind``; False when ``timeout`` passed without one."""
        return await self._signals[kind].wait(timeout)


class Workers:
    """All dispatch tasks of one devhost."""

    def __init__(
        self,
        store: DurableStore,
        *,
        decider: Decider,
        activities: ActivityRunner,
        entities: EntityRunner,
        concurrency: Concurrency,
        waker: Waker,
        activity_lease_s: float = DEFAULT_LEASE_S,
    ) -> None:
        """``waker`` is shared with the store, which wakes workers after client writes;
        ``activity_lease_s`` is how long a running activity's claim lasts without renewal."""
        self._store = store
        self._decider = decider
        self._activities = activities
        self._entities = entities
        self._concurrency = concurrency
        self.waker = waker
        self._dispatcher = Dispatcher(store, activity_lease_s)
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        loops: list[tuple[str, int, Callable[[], Awaitable[set[str] | None]]]] = [
            (ORCHESTRATION, self._concurrency.orchestrations, self._episode),
            (ACTIVITY, self._concurrency.activities, self._activity),
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

    async def _loop(self, kind: str, step: Callable[[], Awaitable[set[str] | None]]) -> None:
        while True:
            try:
                woken = await step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s worker failed; retrying", kind)
                await asyncio.sleep(ERROR_BACKOFF_S)
                continue
            if woken is not None:
                self.waker.wake(woken)
            if woken is None or (kind == ACTIVITY and MORE not in woken):
                # Nothing else was waiting; later work wakes us. Episodes and entity batches
                # always look again: messages that arrived for the instance (or entity) while
                # it was locked found no worker able to take them.
                await self.waker.wait(kind, POLL_S)

    async def _claimed(
        self,
        kind: str,
        claim: AbstractAsyncContextManager[Any],
        run: Callable[[Any], Awaitable[set[str]]],
    ) -> set[str] | None:
        """Run one claimed unit; after its commit, the kinds of work it created (else None)."""
        async with claim as session:
            if session is None:
                return None
            if session.more:
                self.waker.wake(kind)  # other work is waiting: let a peer take it
            woken = await run(session)
        return woken | {MORE} if session.more else woken

    async def _episode(self) -> set[str] | None:
        """Decide and commit a batch of episodes.

        An episode whose decision raised is left out of the commit (its messages stay) and the
        error is raised after the others committed, so the loop logs it and backs off.
        """
        failed: list[str] = []

        async def run(batch: EpisodeBatch) -> set[str]:
            decided, failures = await self._decider.decide(batch.works, datetime.now(UTC))
            failed.extend(failures)
            return await batch.commit(decided)

        woken = await self._claimed(ORCHESTRATION, claim_episodes(self._store), run)
        if failed:
            self.waker.wake(woken or set())
            raise RuntimeError(f"deciding {len(failed)} episode(s) failed; first:\n{failed[0]}")
        return woken

    async def _activity(self) -> set[str] | None:
        """Lease one activity call, run it with no transaction open while the lease is kept
        alive, then complete it (refused if the lease was taken over meanwhile)."""
        lease = await self._dispatcher.activity()
        if lease is None:
            return None
        if lease.more:
            self.waker.wake(ACTIVITY)  # other work is waiting: let a peer take it
        keeper = asyncio.create_task(self._keep(lease))
        try:
            result = await self._activities.run(lease.item.call)
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
        woken = await lease.complete(result) or set()
        return woken | {MORE} if lease.more else woken

    @staticmethod
    async def _keep(lease: ActivityLease) -> None:
        """Renew ``lease`` every third of its length until cancelled or taken over."""
        while True:
            await asyncio.sleep(lease.lease_s / 3)
            try:
                if not await lease.renew():
                    log.warning("activity %s lost its lease", lease.item.call.instance_id)
                    return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a database blip: the next beat tries again
                log.warning("renewing an activity lease failed: %s", exc)

    async def _entity_batch(self) -> set[str] | None:
        async def run(session: Any) -> set[str]:
            outcome = await self._entities.run(session.work)
            kinds: set[str] = await session.commit(outcome)
            return kinds

        return await self._claimed(ENTITY, self._dispatcher.entity_batch(), run)

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
                        kinds, _, origin = notice.payload.partition(":")
                        if origin != self._store.origin:
                            self.waker.wake(set(kinds))
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
            rescan = await self.waker.wait(TIMER_KIND, delay + 0.001)
            if not rescan and delay < MAX_TIMER_SLEEP_S:
                self.waker.wake({ORCHESTRATION, ENTITY})
