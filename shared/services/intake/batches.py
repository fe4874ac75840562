"""Group commit for one tenant's deliveries: concurrent transactions become one.

Every accepted delivery appends to its tenant's hash-chained audit log, which holds the tenant's
chain lock until commit, so one tenant's deliveries commit one after another: a busy
organisation (one tenant) was capped at one commit round trip per delivery. Here the deliveries
that arrive while a tenant's transaction is committing wait, and the next transaction carries
all of them (up to ``max_batch``), their audit events appended together just before the one
commit (so the chain stays exact and its lock is held only for that). When a delivery fails
(e.g. the rate limit), the batch is rolled back and run again with each delivery in its own
savepoint, so that only the failing ones fail. A failed commit fails every
delivery of the batch (none was answered yet, so the senders retry; nothing is half-written).

At most one batch per tenant runs at a time in a process, in a thread of its own that lives while
the tenant has deliveries waiting; waiting deliveries hold no thread. Other processes'
transactions still serialise on the database locks.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from shared.domain.tenant import TenantLocation
from shared.ports.intake import IntakeTx

T = TypeVar("T")


@dataclass
class _Slot(Generic[T]):
    work: Callable[[IntakeTx], T]
    future: asyncio.Future[T]
    loop: asyncio.AbstractEventLoop
    result: Any = None
    error: BaseException | None = None


@dataclass
class _Queue:
    slots: list[_Slot[Any]] = field(default_factory=list)
    leading: bool = False


class TenantBatches:
    def __init__(
        self,
        begin: Callable[[TenantLocation], AbstractContextManager[IntakeTx]],
        *,
        max_batch: int = 100,
        max_transactions: int = 6,
    ) -> None:
        """At most ``max_transactions`` batches (of all tenants) hold a connection at once, so
        intake leaves room in the pool for everything else."""
        self._begin = begin
        self._max = max_batch
        self._transactions = threading.BoundedSemaphore(max_transactions)
        self._lock = threading.Lock()
        self._queues: dict[str, _Queue] = {}

    async def run(self, location: TenantLocation, work: Callable[[IntakeTx], T]) -> T:
        """``work(tx)``'s result once its transaction committed (its exception otherwise)."""
        loop = asyncio.get_running_loop()
        slot: _Slot[T] = _Slot(work, loop.create_future(), loop)
        with self._lock:
            queue = self._queues.setdefault(location.slug, _Queue())
            queue.slots.append(slot)
            lead = not queue.leading
            queue.leading = True
        if lead:
            name = f"intake-batches-{location.slug}"
            threading.Thread(target=self._drain, args=(location, queue), name=name).start()
        return await slot.future

    def _drain(self, location: TenantLocation, queue: _Queue) -> None:
        """Commit batches until the tenant's queue is empty (one thread per busy tenant)."""
        while True:
            with self._lock:
                batch, queue.slots = queue.slots[: self._max], queue.slots[self._max :]
                if not batch:
                    queue.leading = False
                    if self._queues.get(location.slug) is queue:
                        del self._queues[location.slug]
                    return
            with self._transactions:
                self._commit(location, batch)

    def _commit(self, location: TenantLocation, batch: list[_Slot[Any]]) -> None:
        try:  # the usual case, where no delivery fails: no savepoints (each costs round trips)
            with self._begin(location) as tx:
                for slot in batch:
                    slot.result = slot.work(tx)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
            else:  # again, each delivery in its savepoint, so only the failing ones fail
                self._commit_apart(location, batch)
        for slot in batch:
            try:
                slot.loop.call_soon_threadsafe(_settle, slot)
            except RuntimeError:  # its event loop is gone: nobody waits for the answer
                continue

    def _commit_apart(self, location: TenantLocation, batch: list[_Slot[Any]]) -> None:
        for slot in batch:
            slot.result, slot.error = None, None
        try:
            with self._begin(location) as tx:
                for slot in batch:
                    try:
                        with tx.savepoint():
                            slot.result = slot.work(tx)
                    except Exception as exc:
                        slot.error = exc
        except Exception as exc:  # the commit (or the transaction) failed: nothing of it holds
            for slot in batch:
                slot.error = slot.error or exc


def _settle(slot: _Slot[Any]) -> None:
    if slot.future.done():  # the request was cancelled meanwhile
        return
    if slot.error is not None:
        slot.future.set_exception(slot.error)
    else:
        slot.future.set_result(slot.result)
