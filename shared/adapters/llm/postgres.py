"""The LLM hub's platform-wide records in PostgreSQL.

- ``platform.llm_circuits``: one row per circuit (named in its ``endpoint`` column: a provider
  endpoint, or an endpoint and a credential's fingerprint, see ``llm_hub.breaker``), updated
  under ``SELECT ... FOR UPDATE`` with the database's clock, so every process and instance
  shares one breaker.
- ``platform.llm_usage``: one row per call, a reservation first and the actual usage after;
  reservations serialise on the tenant's ``platform.quotas`` row, so concurrent calls can never
  overshoot the daily budget together. A day is a UTC day.

Each call's lineage (in the tenant's database) is in ``call_log``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.adapters.store.postgres.database import Database
from shared.domain.errors import BudgetExceeded, NotFound, TenantNotFound
from shared.domain.llm_hub import CircuitState, CircuitStatus, DailyUsage
from shared.ports.llm import Change, CircuitStore, T, UsageLedger

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
