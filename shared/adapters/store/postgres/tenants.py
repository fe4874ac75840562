"""Tenants in PostgreSQL: one schema and one role per tenant, created in one transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.migrations import migrate_tenant
from shared.domain.errors import Conflict, TenantBusy, TenantNotFound
from shared.domain.task import ACTIVE_TASK_STATUSES
from shared.domain.tenant import Tenant, TenantLocation, TenantStatus, validate_slug
from shared.ports.tenants import TenantDirectory

_COLUMNS = "slug, display_name, status, created_at, settings, schema_name, role_name, database_name"


def _tenant(row: dict[str, object]) -> Tenant:
    settings = row["settings"]
    created = row["created_at"]
    assert isinstance(created, datetime)
    return Tenant(
        slug=str(row["slug"]),
        display_name=str(row["display_name"]),
        status=TenantStatus(str(row["status"])),
        created_at=created,
        settings=dict(settings) if isinstance(settings, dict) else {},
    )


def _location(row: dict[str, object]) -> TenantLocation:
    database = row.get("database_name")
    return TenantLocation(
        slug=str(row["slug"]),
        schema=str(row["schema_name"]),
        role=str(row["role_name"]),
        database=str(database) if database else None,
    )


class PostgresTenantDirectory(TenantDirectory):
    """Schema ``tenant_<slug>`` (dashes become underscores) and role ``<prefix><slug>``.

    The role is NOLOGIN: the pool's login role switches to it with ``SET LOCAL ROLE`` for
    tenant-scoped work, so PostgreSQL itself refuses any cross-tenant access.
    """

    def __init__(self, db: Database, *, role_prefix: str = "tenant_") -> None:
        self._db = db
        self._role_prefix = role_prefix

    def _names(self, slug: str) -> tuple[str, str]:
        return f"tenant_{slug.replace('-', '_')}", f"{self._role_prefix}{slug}"

    def provision(
        self, slug: str, display_name: str, settings: dict[str, Any] | None = None
    ) -> Tenant:
        validate_slug(slug)
        schema, role = self._names(slug)
        location = TenantLocation(slug, schema, role)
        try:
            with self._db.transaction() as conn:
                row = conn.execute(
                    f"INSERT INTO platform.tenants (slug, display_name, schema_name, role_name,"
                    f" settings) VALUES (%s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
                    (slug, display_name, schema, role, json.dumps(settings or {})),
                ).fetchone()
                assert row is not None
                conn.execute("INSERT INTO platform.quotas (tenant) VALUES (%s)", (slug,))
                conn.execute(
                    sql.SQL("CREATE ROLE {} NOLOGIN NOINHERIT").format(sql.Identifier(role))
                )
                conn.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(role)))
                conn.execute(
                    sql.SQL("CREATE SCHEMA {} AUTHORIZATION CURRENT_USER").format(
                        sql.Identifier(schema)
                    )
                )
                migrate_tenant(conn, location)
                return _tenant(row)
        except psycopg.errors.UniqueViolation as exc:
            raise Conflict(f"tenant {slug!r} already exists", code="tenant-exists") from exc
        except psycopg.errors.DuplicateObject as exc:
            raise Conflict(
                f"a database role or schema for {slug!r} already exists", code="tenant-exists"
            ) from exc

    def deprovision(self, slug: str) -> None:
        location = self.locate(slug)
        with self._db.transaction() as conn:
            conn.execute("SELECT 1 FROM platform.tenants WHERE slug = %s FOR UPDATE", (slug,))
            active = conn.execute(
                sql.SQL("SELECT count(*) AS n FROM {}.tasks WHERE status = ANY(%s)").format(
                    sql.Identifier(location.schema)
                ),
                ([str(s) for s in ACTIVE_TASK_STATUSES],),
            ).fetchone()
            if active and int(str(active["n"])) > 0:
                raise TenantBusy(
                    f"tenant {slug!r} has {active['n']} active task(s); cancel them first"
                )
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(location.schema)))
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(location.role)))
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(location.role)))
            conn.execute(
                "DELETE FROM platform.schema_migrations WHERE scope = %s", (f"tenant:{slug}",)
            )
            conn.execute("DELETE FROM platform.tenants WHERE slug = %s", (slug,))

    def _row(self, slug: str) -> dict[str, object]:
        validate_slug(slug)
        with self._db.connection() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM platform.tenants WHERE slug = %s", (slug,)
            ).fetchone()
        if row is None:
            raise TenantNotFound(f"no tenant {slug!r}")
        return row

    def get(self, slug: str) -> Tenant:
        return _tenant(self._row(slug))

    def locate(self, slug: str) -> TenantLocation:
        return _location(self._row(slug))

    def list(self) -> list[Tenant]:
        with self._db.connection() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM platform.tenants ORDER BY slug").fetchall()
        return [_tenant(r) for r in rows]

    def _update(self, slug: str, assignment: str, value: object) -> Tenant:
        validate_slug(slug)
        with self._db.connection() as conn:
            row = conn.execute(
                f"UPDATE platform.tenants SET {assignment}, updated_at = now() "
                f"WHERE slug = %s RETURNING {_COLUMNS}",
                (value, slug),
            ).fetchone()
        if row is None:
            raise TenantNotFound(f"no tenant {slug!r}")
        return _tenant(row)

    def set_status(self, slug: str, status: TenantStatus) -> Tenant:
        return self._update(slug, "status = %s", str(status))

    def update_settings(self, slug: str, settings: dict[str, Any]) -> Tenant:
        return self._update(slug, "settings = settings || %s::jsonb", json.dumps(settings))
