"""LLM call lineage in PostgreSQL: ``llm_call_events`` in each tenant's schema, append-only,
written as the tenant's role together with an ``llm.call`` audit event.

Apart from ``postgres`` (the hub's platform-wide circuit and usage rows) because it lives in the
tenant's database and goes through the tenant directory and the audit log.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from psycopg.types.json import Jsonb

from shared.adapters.store.postgres.database import Database
from shared.domain.errors import NotFound
from shared.domain.llm_hub import LlmCall, TemplateRef
from shared.ports.audit import AuditLog
from shared.ports.llm import LlmCallLog
from shared.ports.tenants import TenantDirectory

AUDIT_ACTOR = "llm-hub"

# Queries are whole literals (no string building): every value is a bound parameter.
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
