"""The Durable store's backlog as metrics, sampled every few seconds while devhost runs:
``agent.durable.pending`` (due messages not yet taken and activity work items not yet done, by
``durable.queue``: ``orchestration``, ``entity``, ``activity``) and
``agent.durable.oldest_pending_age`` (seconds the oldest due message has waited). A growing
backlog is how an overloaded host shows before latency does. (In Azure the Durable extension's
task hub reports its own queue metrics.)
"""

from __future__ import annotations

import asyncio
import logging
from functools import cache
from typing import TYPE_CHECKING

from devhost.durable.store import DurableStore
from shared.telemetry.setup import meter

if TYPE_CHECKING:
    from opentelemetry.metrics import _Gauge

log = logging.getLogger("devhost.backlog")
QUEUES = {"o": "orchestration", "e": "entity"}
SAMPLE_S = 5.0


@cache
def _pending() -> _Gauge:
    return meter().create_gauge(
        "agent.durable.pending", unit="{message}", description="Durable work not yet taken."
    )


@cache
def _oldest() -> _Gauge:
    return meter().create_gauge(
        "agent.durable.oldest_pending_age",
        unit="s",
        description="How long the oldest due Durable message has waited.",
    )


async def sample(store: DurableStore) -> dict[str, int]:
    """Record the backlog once; the counts by queue."""
    async with store.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT kind, count(*) AS n, "
            "EXTRACT(EPOCH FROM clock_timestamp() - min(visible_at)) AS age "
            "FROM inbox WHERE visible_at <= clock_timestamp() GROUP BY kind"
        )
        due = {row["kind"]: row for row in await cur.fetchall()}
        cur = await conn.execute("SELECT count(*) AS n FROM work_items")
        row = await cur.fetchone()
    counts = {queue: int(due[kind]["n"]) if kind in due else 0 for kind, queue in QUEUES.items()}
    counts["activity"] = int(row["n"]) if row else 0
    for queue, count in counts.items():
        _pending().set(count, {"durable.queue": queue})
    ages = [float(r["age"]) for r in due.values() if r["age"] is not None]
    _oldest().set(max(ages, default=0.0))
    return counts


async def sample_forever(store: DurableStore, every_s: float = SAMPLE_S) -> None:
    """Sample until cancelled; a failed sample is logged and the next one tried."""
    while True:
        try:
            await sample(store)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("backlog sample failed: %s", exc)
        await asyncio.sleep(every_s)
