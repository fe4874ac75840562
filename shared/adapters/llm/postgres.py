"""The LLM hub's records in PostgreSQL.

- ``platform.llm_circuits``: one row per circuit (named in its ``endpoint`` column: a provider
  endpoint, or an endpoint and a credential's fingerprint, see ``llm_hub.breaker``), updated
  under ``SELECT ... FOR UPDATE`` with the database's clock, so every process and instance
  shares one breaker.
- ``platform.llm_usage``: one row per call, a reservation first and the actual usage after;
  reservations serialise on the tenant's ``platform.quotas`` row, so concurrent calls can never
  overshoot the daily budget together. A day is a UTC day.
- ``llm_call_events`` in each tenant's schema: lineage, append-only, written as the tenant's role
  together with an ``llm.call`` audit event.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from psycopg.types.json import Jsonb

from shared.adapters.store.postgres.database import Database
from shared.domain.errors import BudgetExceeded, NotFound, TenantNotFound
from shared.domain.llm_hub import CircuitState, CircuitStatus, DailyUsage, LlmCall, TemplateRef
from shared.ports.audit import AuditLog
from shared.ports.llm import Change, CircuitStore, LlmCallLog, T, UsageLedger
from shared.ports.tenants import TenantDirectory

AUDIT_ACTOR = "llm-hub"

# Queries are whole literals (no string building): every value is a bound parameter.
_LOCK_CIRCUIT = (
    "SELECT endpoint, state, failures, window_started_at, opened_at, probe_until,"
    " clock_timestamp() AS now FROM platform.llm_circuits WHERE endpoint = %s FOR UPDATE"
)
_GET_CIRCUIT = (
    "SELECT endpoint, state, failures, window_started_at, opened_at, probe_until"
    " FROM platform.llm_circuits WHERE endpoint = %s"
)
_QUOTA = "SELECT daily_token_budget, daily_cost_budget_usd FROM platform.quotas WHERE tenant = %s"
_LOCK_QUOTA = _QUOTA + " FOR UPDATE"
_USED_TODAY = (
    "SELECT coalesce(sum(tokens), 0) AS tokens, coalesce(sum(cost_usd), 0) AS cost"
    " FROM platform.llm_usage WHERE tenant = %s AND day = (now() AT TIME ZONE 'UTC')::date"
)
_RESERVE = (
    "INSERT INTO platform.llm_usage (id, tenant, day, task_id, provider, model, state, tokens,"
    " cost_usd) VALUES (%s, %s, (now() AT TIME ZONE 'UTC')::date, %s, %s, %s, 'reserved', %s, %s)"
)
_INSERT_CALL = (
    "INSERT INTO llm_call_events (id, occurred_at, task_id, attempt, provider, endpoint, model,"
    " model_used, model_version, template_name, template_version, template_hash, parameters,"
    " input_tokens, output_tokens, cost_usd, latency_ms, outcome, error, redactions, scripted,"
    " transcript) VALUES (%s, clock_timestamp(), %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
    " %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_GET_CALL = (
    "SELECT id, occurred_at, task_id, attempt, provider, endpoint, model, model_used,"
    " model_version, template_name, template_version, template_hash, parameters, input_tokens,"
    " output_tokens, cost_usd, latency_ms, outcome, error, redactions, scripted, transcript"
    " FROM llm_call_events WHERE id = %s"
)
_TASK_CALLS = (
    "SELECT id, occurred_at, task_id, attempt, provider, endpoint, model, model_used,"
    " model_version, template_name, template_version, template_hash, parameters, input_tokens,"
    " output_tokens, cost_usd, latency_ms, outcome, error, redactions, scripted, transcript"
    " FROM llm_call_events WHERE task_id = %s ORDER BY occurred_at, attempt"
)


def _when(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else None


def _circuit(row: dict[str, object]) -> CircuitState:
    return CircuitState(
        endpoint=str(row["endpoint"]),
        status=CircuitStatus(str(row["state"])),
        failures=int(str(row["failures"])),
        window_started_at=_when(row["window_started_at"]),
        opened_at=_when(row["opened_at"]),
        probe_until=_when(row["probe_until"]),
    )


class PostgresCircuitStore(CircuitStore):
    def __init__(self, db: Database) -> None:
        self._db = db

    def update(self, endpoint: str, change: Change[T]) -> T:
        with self._db.transaction() as conn:
            row = conn.execute(_LOCK_CIRCUIT, (endpoint,)).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO platform.llm_circuits (endpoint) VALUES (%s) "
                    "ON CONFLICT (endpoint) DO NOTHING",
                    (endpoint,),
                )
                row = conn.execute(_LOCK_CIRCUIT, (endpoint,)).fetchone()
            assert row is not None
            now = row["now"]
            assert isinstance(now, datetime)
            state = _circuit(row)
            new, result = change(state, now)
            if new != state:
                conn.execute(
                    "UPDATE platform.llm_circuits SET state = %s, failures = %s, "
                    "window_started_at = %s, opened_at = %s, probe_until = %s, "
                    "updated_at = clock_timestamp() WHERE endpoint = %s",
                    (
                        str(new.status),
                        new.failures,
                        new.window_started_at,
                        new.opened_at,
                        new.probe_until,
                        endpoint,
                    ),
                )
            return result

    def get(self, endpoint: str) -> CircuitState:
        with self._db.connection() as conn:
            row = conn.execute(_GET_CIRCUIT, (endpoint,)).fetchone()
        return CircuitState(endpoint) if row is None else _circuit(row)


class PostgresUsageLedger(UsageLedger):
    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    def _today(conn: Any, tenant: str, *, lock: bool) -> DailyUsage:
        quota = conn.execute(_LOCK_QUOTA if lock else _QUOTA, (tenant,)).fetchone()
        if quota is None:
            raise TenantNotFound(f"no quotas for tenant {tenant!r}")
        used = conn.execute(_USED_TODAY, (tenant,)).fetchone()
        return DailyUsage(
            tokens=int(used["tokens"]),
            cost_usd=Decimal(used["cost"]),
            token_budget=int(quota["daily_token_budget"]),
            cost_budget_usd=Decimal(quota["daily_cost_budget_usd"]),
        )

    def reserve(
        self,
        tenant: str,
        *,
        task_id: str | None,
        provider: str,
        model: str,
        tokens: int,
        cost_usd: Decimal,
    ) -> str:
        with self._db.transaction() as conn:
            usage = self._today(conn, tenant, lock=True)
            if (
                usage.tokens + tokens > usage.token_budget
                or usage.cost_usd + cost_usd > usage.cost_budget_usd
            ):
                raise BudgetExceeded(
                    f"daily LLM budget of tenant {tenant!r} would be exceeded: this call may use "
                    f"{tokens} tokens (${cost_usd}); used today {usage.tokens} of "
                    f"{usage.token_budget} tokens, ${usage.cost_usd} of ${usage.cost_budget_usd}"
                )
            reservation = str(uuid.uuid4())
            conn.execute(
                _RESERVE,
                (reservation, tenant, task_id, provider, model, tokens, cost_usd),
            )
            return reservation

    def settle(
        self,
        tenant: str,
        reservation: str,
        *,
        model: str,
        input_tokens: int,
        output_tokens: int,
        cost_usd: Decimal,
    ) -> None:
        with self._db.connection() as conn:
            cursor = conn.execute(
                "UPDATE platform.llm_usage SET state = 'settled', model = %s, input_tokens = %s, "
                "output_tokens = %s, tokens = %s, cost_usd = %s, settled_at = clock_timestamp() "
                "WHERE id = %s AND tenant = %s",
                (
                    model,
                    input_tokens,
                    output_tokens,
                    input_tokens + output_tokens,
                    cost_usd,
                    reservation,
                    tenant,
                ),
            )
            if cursor.rowcount != 1:
                raise NotFound(f"no LLM usage reservation {reservation} for tenant {tenant!r}")

    def today(self, tenant: str) -> DailyUsage:
        with self._db.connection() as conn:
            return self._today(conn, tenant, lock=False)


def _call(tenant: str, row: dict[str, Any]) -> LlmCall:
    return LlmCall(
        id=str(row["id"]),
        tenant=tenant,
        task_id=row["task_id"],
        attempt=row["attempt"],
        provider=row["provider"],
        endpoint=row["endpoint"],
        model=row["model"],
        template=TemplateRef(row["template_name"], row["template_version"], row["template_hash"]),
        parameters=dict(row["parameters"]),
        outcome=row["outcome"],
        redactions=row["redactions"],
        scripted=row["scripted"],
        model_used=row["model_used"],
        model_version=row["model_version"],
        input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"],
        cost_usd=Decimal(row["cost_usd"]),
        latency_ms=row["latency_ms"],
        error=row["error"],
        transcript=None if row["transcript"] is None else bytes(row["transcript"]),
        occurred_at=row["occurred_at"],
    )


class PostgresLlmCallLog(LlmCallLog):
    """Lineage rows in the tenant's schema, each with an ``llm.call`` audit event in the same
    tenant transaction."""

    def __init__(self, db: Database, tenants: TenantDirectory, audit: AuditLog) -> None:
        self._db = db
        self._tenants = tenants
        self._audit = audit

    def record(self, call: LlmCall) -> None:
        with self._db.tenant_transaction(self._tenants.locate(call.tenant)) as tx:
            tx.conn.execute(
                _INSERT_CALL,
                (
                    call.id,
                    call.task_id,
                    call.attempt,
                    call.provider,
                    call.endpoint,
                    call.model,
                    call.model_used,
                    call.model_version,
                    call.template.name,
                    call.template.version,
                    call.template.content_hash,
                    Jsonb(call.parameters),
                    call.input_tokens,
                    call.output_tokens,
                    call.cost_usd,
                    call.latency_ms,
                    call.outcome,
                    call.error,
                    call.redactions,
                    call.scripted,
                    call.transcript,
                ),
            )
            self._audit.append(
                tx,
                kind="llm.call",
                actor=AUDIT_ACTOR,
                task_id=call.task_id,
                data={
                    "lineage_id": call.id,
                    "provider": call.provider,
                    "model": call.model_used or call.model,
                    "template": f"{call.template.name}.v{call.template.version}",
                    "outcome": call.outcome,
                    "tokens": call.input_tokens + call.output_tokens,
                    "cost_usd": str(call.cost_usd),
                    "redactions": call.redactions,
                    "scripted": call.scripted,
                },
            )

    def get(self, tenant: str, call_id: str) -> LlmCall:
        try:
            uuid.UUID(call_id)
        except ValueError as exc:
            raise NotFound(f"no LLM call {call_id!r}") from exc
        with self._db.tenant_transaction(self._tenants.locate(tenant)) as tx:
            row = tx.conn.execute(_GET_CALL, (call_id,)).fetchone()
        if row is None:
            raise NotFound(f"no LLM call {call_id} for tenant {tenant!r}")
        return _call(tenant, row)

    def for_task(self, tenant: str, task_id: str) -> list[LlmCall]:
        with self._db.tenant_transaction(self._tenants.locate(tenant)) as tx:
            rows = tx.conn.execute(_TASK_CALLS, (task_id,)).fetchall()
        return [_call(tenant, row) for row in rows]
