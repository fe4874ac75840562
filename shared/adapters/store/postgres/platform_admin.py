"""Per-tenant quotas and budgets (``platform.quotas``), and the platform's record of admin
changes (``platform.admin_events``, append-only).

``update`` compares the caller's version (the ETag it read) with the stored row under a row lock,
so of two writers that read the same version only the first one's change is kept.
"""

from __future__ import annotations

import json
from typing import Any

from shared.adapters.store.postgres.database import Database
from shared.domain.errors import NotFound, TenantNotFound
from shared.ports.admin import ConnectionListing, Quotas, StaleVersion, version_of

_COLUMNS = (
    "webhook_rate_per_sec, webhook_burst, max_concurrent_tasks, daily_token_budget, "
    "daily_cost_budget_usd::float8 AS daily_cost_budget_usd"
)
FIELDS = (
    "webhook_rate_per_sec",
    "webhook_burst",
    "max_concurrent_tasks",
    "daily_token_budget",
    "daily_cost_budget_usd",
)


class PostgresQuotas(Quotas):
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, tenant: str) -> dict[str, Any]:
        with self._db.connection() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM platform.quotas WHERE tenant = %s", (tenant,)
            ).fetchone()
        if row is None:
            raise TenantNotFound(f"no tenant {tenant!r}")
        return dict(row)

    def update(
        self, tenant: str, values: dict[str, Any], *, version: str, actor: str
    ) -> dict[str, Any]:
        """Replace the quotas if they are still at ``version``; ``StaleVersion`` otherwise."""
        with self._db.transaction() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM platform.quotas WHERE tenant = %s FOR UPDATE", (tenant,)
            ).fetchone()
            if row is None:
                raise TenantNotFound(f"no tenant {tenant!r}")
            if version_of(dict(row)) != version:
                raise StaleVersion(dict(row))
            assignments = ", ".join(f"{name} = %s" for name in FIELDS)
            updated = conn.execute(
                f"UPDATE platform.quotas SET {assignments} WHERE tenant = %s RETURNING {_COLUMNS}",
                (*(values[name] for name in FIELDS), tenant),
            ).fetchone()
            assert updated is not None
            record_admin_event(
                conn, actor, "quotas.changed", tenant, {"before": row, "after": updated}
            )
            return dict(updated)

    def record(self, actor: str, kind: str, tenant: str, data: dict[str, Any]) -> None:
        with self._db.transaction() as conn:
            record_admin_event(conn, actor, kind, tenant, data)


def record_admin_event(conn: Any, actor: str, kind: str, tenant: str, data: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO platform.admin_events (actor, kind, tenant, data) VALUES (%s, %s, %s, %s)",
        (actor, kind, tenant, json.dumps(data, default=str)),
    )


def _connection(row: dict[str, Any]) -> dict[str, Any]:
    settings = row["settings"] if isinstance(row["settings"], dict) else {}
    return {
        "id": int(row["id"]),
        "provider": str(row["provider"]),
        "repository": str(row["name"]),
        "backend": str(settings.get("backend", row["provider"])),
        "base_url": row["base_url"],
        "token_secret": row["token_secret"],
    }


class PostgresConnectionList(ConnectionListing):
    """The tenant's SCM connections by id (registering one: ``PostgresConnectionDirectory``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def list(self, tenant: str) -> list[dict[str, Any]]:
        with self._db.connection() as conn:
            rows = conn.execute(
                "SELECT id, provider, name, base_url, settings, token_secret "
                "FROM platform.scm_connections WHERE tenant = %s ORDER BY id",
                (tenant,),
            ).fetchall()
        return [_connection(r) for r in rows]

    def get(self, tenant: str, connection_id: int) -> dict[str, Any]:
        with self._db.connection() as conn:
            row = conn.execute(
                "SELECT id, provider, name, base_url, settings, token_secret "
                "FROM platform.scm_connections WHERE tenant = %s AND id = %s",
                (tenant, connection_id),
            ).fetchone()
        if row is None:
            raise NotFound(f"no connection {connection_id}", code="connection-not-found")
        return _connection(row)
