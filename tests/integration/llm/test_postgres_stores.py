"""The hub's records in the real PostgreSQL: circuits, usage against budgets, lineage."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import psycopg
import pytest

from shared.adapters.llm.call_log import PostgresLlmCallLog
from shared.adapters.llm.postgres import PostgresCircuitStore, PostgresUsageLedger
from shared.adapters.store.postgres.audit import PostgresAuditLog
from shared.domain.errors import BudgetExceeded, NotFound
from shared.domain.llm_hub import CircuitState, CircuitStatus, LlmCall, TemplateRef


def set_budget(db, tenant: str, tokens: int, cost: str) -> None:
    with db.connection() as conn:
        conn.execute(
            "UPDATE platform.quotas SET daily_token_budget = %s, daily_cost_budget_usd = %s "
            "WHERE tenant = %s",
            (tokens, Decimal(cost), tenant),
        )


def test_circuit_updates_run_under_a_row_lock_with_the_database_clock(db) -> None:
    store = PostgresCircuitStore(db)
    endpoint = f"openai http://{uuid.uuid4().hex}"
    assert store.get(endpoint) == CircuitState(endpoint)

    def bump(state: CircuitState, now):
        return CircuitState(endpoint, failures=state.failures + 1, window_started_at=now), now

    with ThreadPoolExecutor(8) as pool:
        stamps = list(pool.map(lambda _: store.update(endpoint, bump), range(40)))

    state = store.get(endpoint)
    assert state.failures == 40  # no lost update among concurrent read-modify-writes
    assert state.window_started_at == max(stamps) and max(stamps).tzinfo is not None
    opened = store.update(
        endpoint, lambda s, now: (CircuitState(endpoint, CircuitStatus.OPEN, 0, None, now), None)
    )
    assert opened is None and store.get(endpoint).status is CircuitStatus.OPEN


def test_usage_is_reserved_against_the_daily_budget_and_settled(db, new_tenant) -> None:
    tenant = new_tenant("usage").slug
    set_budget(db, tenant, 1000, "1.00")
    ledger = PostgresUsageLedger(db)

    first = ledger.reserve(
        tenant, task_id="t1", provider="openai", model="gpt-4o", tokens=600, cost_usd=Decimal("0.5")
    )
    with pytest.raises(BudgetExceeded, match="used today 600 of 1000 tokens"):
        ledger.reserve(
            tenant, task_id="t2", provider="openai", model="gpt-4o", tokens=500, cost_usd=Decimal(0)
        )
    ledger.settle(
        tenant,
        first,
        model="gpt-4o-2024",
        input_tokens=100,
        output_tokens=50,
        cost_usd=Decimal("0.1"),
    )
    assert ledger.today(tenant).tokens == 150
    ledger.reserve(
        tenant, task_id="t2", provider="openai", model="gpt-4o", tokens=500, cost_usd=Decimal(0)
    )
    with pytest.raises(BudgetExceeded, match=r"\$0.100000 of \$1.0000"):
        ledger.reserve(
            tenant, task_id="t3", provider="openai", model="x", tokens=1, cost_usd=Decimal("0.95")
        )
    usage = ledger.today(tenant)
    assert (usage.tokens, usage.cost_usd, usage.token_budget) == (650, Decimal("0.1"), 1000)
    with db.connection() as conn:
        row = conn.execute(
            "SELECT model, input_tokens, output_tokens, state FROM platform.llm_usage "
            "WHERE id = %s",
            (first,),
        ).fetchone()
    assert row == {
        "model": "gpt-4o-2024",
        "input_tokens": 100,
        "output_tokens": 50,
        "state": "settled",
    }
    with pytest.raises(NotFound):
        ledger.settle(
            new_tenant("other").slug,
            first,
            model="m",
            input_tokens=0,
            output_tokens=0,
            cost_usd=Decimal(0),
        )


def test_concurrent_reservations_never_overshoot_the_budget(db, new_tenant) -> None:
    tenant = new_tenant("race").slug
    set_budget(db, tenant, 1000, "100")
    ledger = PostgresUsageLedger(db)

    def reserve(_: int) -> bool:
        try:
            ledger.reserve(
                tenant, task_id=None, provider="p", model="m", tokens=100, cost_usd=Decimal(0)
            )
            return True
        except BudgetExceeded:
            return False

    with ThreadPoolExecutor(8) as pool:
        granted = sum(pool.map(reserve, range(25)))
    assert granted == 10 and ledger.today(tenant).tokens == 1000


def _call(tenant: str, task_id: str, attempt: int, outcome: str) -> LlmCall:
    return LlmCall(
        id=str(uuid.uuid4()),
        tenant=tenant,
        task_id=task_id,
        attempt=attempt,
        provider="openai",
        endpoint="openai http://x",
        model="gpt-4o",
        template=TemplateRef("review", 1, "sha256:abc"),
        parameters={"temperature": 0.0, "stop": []},
        outcome=outcome,
        redactions=3,
        scripted=False,
        model_used="gpt-4o-2024-08-06",
        input_tokens=10,
        output_tokens=5,
        cost_usd=Decimal("0.000075"),
        latency_ms=42,
        transcript=b"sealed",
    )


def test_lineage_is_recorded_with_an_audit_event_and_cannot_change(
    db, as_owner, new_tenant, tenant_directory
) -> None:
    tenant = new_tenant("lineage").slug
    audit = PostgresAuditLog(db, tenant_directory)
    log = PostgresLlmCallLog(db, tenant_directory, audit)
    failed, ok = _call(tenant, "task-9", 1, "llm-unavailable"), _call(tenant, "task-9", 2, "ok")
    log.record(failed)
    log.record(ok)

    stored = log.get(tenant, ok.id)
    assert stored.occurred_at is not None
    assert stored == ok.__class__(**{**ok.__dict__, "occurred_at": stored.occurred_at})
    assert [c.outcome for c in log.for_task(tenant, "task-9")] == ["llm-unavailable", "ok"]
    events = [e for e in map(json.loads, audit.export(tenant)) if e["kind"] == "llm.call"]
    assert [e["data"]["lineage_id"] for e in events] == [failed.id, ok.id]
    assert events[1]["task_id"] == "task-9" and events[1]["data"]["redactions"] == 3
    assert audit.verify_chain(tenant).ok

    location = tenant_directory.locate(tenant)
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege),
        db.tenant_transaction(location) as tx,
    ):
        tx.conn.execute("UPDATE llm_call_events SET outcome = 'ok'")
    with pytest.raises(psycopg.errors.InsufficientPrivilege), as_owner(location) as conn:
        conn.execute("DELETE FROM llm_call_events")
    with pytest.raises(NotFound):
        log.get(new_tenant("nosy").slug, ok.id)
    with pytest.raises(NotFound):
        log.get(tenant, "not-a-uuid")
