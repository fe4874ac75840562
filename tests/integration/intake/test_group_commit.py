"""Group commit on the real database: one tenant's concurrent deliveries share a transaction,
each in its own savepoint; the chain stays exact, a refused delivery leaves nothing, a duplicate
within the batch is a duplicate."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.adapters.store.postgres.intake import PostgresIntakeLedger
from shared.domain.errors import RateLimited
from shared.domain.tenant import TenantLocation
from shared.ports.intake import IntakeLedger, IntakeTx
from shared.services.intake import IntakeService, Outcome
from tests.integration.intake.conftest import Intake
from tests.integration.intake.test_rate_limit import _quota
from tests.unit.intake.deliveries import github_comment as comment


class _HeldFirst(IntakeLedger):
    """The real ledger, whose first transaction waits until ``release`` is set, so that the
    deliveries sent meanwhile queue up for the next one; counts the transactions."""

    def __init__(self, ledger: IntakeLedger) -> None:
        self._ledger = ledger
        self.release = threading.Event()
        self.began = 0

    def begin(self, location: TenantLocation) -> AbstractContextManager[IntakeTx]:
        return self._begin(location)

    @contextmanager
    def _begin(self, location: TenantLocation) -> Iterator[IntakeTx]:
        self.began += 1
        if self.began == 1:
            assert self.release.wait(30)
        with self._ledger.begin(location) as tx:
            yield tx


def _held_service(intake: Intake) -> tuple[_HeldFirst, PostgresAuditLog]:
    audit = PostgresAuditLog(intake.db, intake.directory)
    held = _HeldFirst(PostgresIntakeLedger(intake.db, audit))
    intake.service = IntakeService(
        tenants=intake.directory,
        secrets=intake.secrets,
        ledger=held,
        max_body_bytes=1024 * 1024,
        cache_seconds=0.0,
    )
    return held, audit


async def _while_held(intake: Intake, held: _HeldFirst, tenant: str, rest: list) -> list[object]:
    """Send issue 1, hold its transaction, send ``rest`` meanwhile, then let it commit."""
    first = asyncio.create_task(intake.receive(tenant, comment("/agent fix", issue=1)))
    while held.began == 0:
        await asyncio.sleep(0.005)
    later = asyncio.gather(*rest, return_exceptions=True)
    await asyncio.sleep(0.3)  # every one of them has queued behind the held transaction
    held.release.set()
    return [await first, *await later]


def test_deliveries_arriving_during_a_commit_share_one_transaction(intake: Intake) -> None:
    tenant = intake.tenant()
    held, audit = _held_service(intake)
    sends = [intake.receive(tenant, comment("/agent fix", issue=n)) for n in range(2, 30)]
    results = asyncio.run(_while_held(intake, held, tenant, sends))
    assert held.began == 2  # the first alone, then the 28 others together
    assert [getattr(r, "outcome", r) for r in results] == [Outcome.ACCEPTED] * 29
    assert len(intake.tasks(tenant)) == 29 and len(intake.deliveries(tenant)) == 29
    assert [e["kind"] for e in intake.audit(tenant)] == ["task.received"] * 29
    assert audit.verify_chain(tenant).ok


def test_a_refused_delivery_in_a_shared_transaction_fails_alone(intake: Intake) -> None:
    tenant = intake.tenant()
    _quota(intake.db, tenant, rate=0.001, burst=10)  # 10 tokens: the 11th delivery is refused
    held, audit = _held_service(intake)
    rest = [
        intake.receive(tenant, comment("/agent fix", issue=n), delivery_id=f"d-{n}")
        for n in range(2, 12)
    ]
    rest.append(intake.receive(tenant, comment("/agent fix", issue=2), delivery_id="d-2"))
    results = asyncio.run(_while_held(intake, held, tenant, rest))

    # The first alone, then the eleven others together; one of them is refused, so that
    # transaction is rolled back and run again with a savepoint per delivery.
    assert held.began == 3
    outcomes = [r.outcome if not isinstance(r, Exception) else type(r) for r in results]
    assert outcomes.count(Outcome.ACCEPTED) == 10
    assert outcomes.count(Outcome.DUPLICATE) == 1  # d-2 twice in one transaction
    assert outcomes.count(RateLimited) == 1
    tasks = intake.tasks(tenant)
    assert len(tasks) == 10 and len(intake.deliveries(tenant)) == 10
    accepted = {r.task_id for r in results if getattr(r, "outcome", None) is Outcome.ACCEPTED}
    assert {t["id"] for t in tasks} == accepted
    # Each accepted delivery started its flow; the refused one its reply. The tokens the first,
    # rolled-back try had taken were given back, or the second try would have been refused.
    flows = [f for f, _ in intake.orchestrations.started.values()]
    assert sorted(flows) == ["patch_flow"] * 10 + ["refusal_reply"]
    patch_flows = {i for i, (f, _) in intake.orchestrations.started.items() if f == "patch_flow"}
    assert patch_flows == accepted
    assert [e["kind"] for e in intake.audit(tenant)] == ["task.received"] * 10
    assert audit.verify_chain(tenant).ok
