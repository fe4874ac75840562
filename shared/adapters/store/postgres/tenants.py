"""Tenants in PostgreSQL: a database, a schema and a role per tenant, created resumably.

``CREATE DATABASE`` cannot run inside a transaction, so provisioning is a sequence of steps that
are each idempotent (``provisioning``): the platform row first (``provisioned_at`` NULL until the
end), then the role, the database and, inside it, the schema and the tenant migrations. A failed
or interrupted provisioning is resumed by provisioning the same slug again; until it finishes the
tenant is ``provisioning`` in the listing and cannot be located.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any

from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.migrations import migrate_platform
from shared.adapters.store.postgres.provisioning import TenantProvisioning
from shared.adapters.store.postgres.roles import grant_app_role
from shared.domain.errors import Conflict, TenantNotFound
from shared.domain.tenant import Tenant, TenantLocation, TenantStatus, validate_slug
from shared.ports.tenants import TenantDirectory

_COLUMNS = (
    "slug, display_name, status, created_at, settings, schema_name, role_name, database_name,"
    " provisioned_at"
)


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
    """Database ``<prefix><slug>`` and schema ``tenant_<slug>`` (dashes become underscores),
    role ``<prefix><slug>``; the default prefix ``tenant_`` gives the TenantStack's names.

    The role is NOLOGIN and may connect only to its database (``REVOKE CONNECT ... FROM
    PUBLIC``). It is granted to the app's login role, which does not inherit it: the app switches
    to it with ``SET LOCAL ROLE`` for tenant-scoped work. ``admin`` (the provisioner, a role with
    CREATEDB and CREATEROLE) creates and owns databases, roles and objects; without it the app's
    own login does, and then owns them.
    """

    def __init__(
        self, db: Database, *, role_prefix: str = "tenant_", admin: Database | None = None
    ) -> None:
        self._db = db
        self._admin = admin or db
        self._provisioning = TenantProvisioning(db, self._admin)
        self._role_prefix = role_prefix
        self._located: dict[str, TenantLocation] = {}
        self._located_lock = threading.Lock()

    def _location_for(self, slug: str) -> TenantLocation:
        underscored = slug.replace("-", "_")
        return TenantLocation(
            slug, f"tenant_{underscored}", self._role_prefix + slug, self._role_prefix + underscored
        )

    def provision(
        self, slug: str, display_name: str, settings: dict[str, Any] | None = None
    ) -> Tenant:
        validate_slug(slug)
        location = self._location_for(slug)
        with self._provisioning.exclusive(slug):
            resuming = self._provisioning.claim(slug, display_name, settings, location)
            try:
                self._provisioning.create_role_and_database(location, resuming)
            except Conflict:
                self._provisioning.release(slug)
                raise
            self._provisioning.migrate(location)
            self._provisioning.finish(slug)
        return self.get(slug)

    def migrate(self) -> list[str]:
        """Apply pending platform migrations (and give the app's login its grants on them),
        then pending tenant migrations in every provisioned tenant's database."""
        with self._admin.transaction() as conn:
            done = migrate_platform(conn)
            app = self._db.login_role()
            if app != self._admin.login_role():
                grant_app_role(conn, app)
        with self._admin.connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM platform.tenants"
                " WHERE provisioned_at IS NOT NULL ORDER BY slug"
            ).fetchall()
        for row in rows:
            done.extend(self._provisioning.migrate(_location(row)))
        return done

    def deprovision(self, slug: str) -> None:
        """Drop the tenant's database and role, then its platform rows; resumable too."""
        try:
            with self._provisioning.exclusive(slug):
                self._provisioning.drop(self._location_row(slug))
        finally:
            with self._located_lock:
                self._located.pop(slug, None)

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
        """Looked up once per slug: every tenant transaction asks, and a provisioned tenant's
        database, schema and role names never change (they derive from the slug). Forgotten
        when this directory deprovisions the tenant; a tenant deprovisioned by another process
        fails at its (dropped) database instead of with ``TenantNotFound`` — callers check the
        tenant itself (``get``) before touching its data, so no data is reached either way."""
        with self._located_lock:
            cached = self._located.get(slug)
        if cached is not None:
            return cached
        row = self._row(slug)
        if row["provisioned_at"] is None:
            raise TenantNotFound(f"tenant {slug!r} is still being provisioned")
        location = _location(row)
        with self._located_lock:
            self._located[slug] = location
        return location

    def shares_directory(self, slug: str, directory: str) -> bool:
        with self._db.connection() as conn:
            row = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM platform.tenants WHERE slug <> %s"
                " AND settings->>'entra_tenant_id' = %s) AS shared",
                (slug, directory),
            ).fetchone()
        return bool(row and row["shared"])

    def _location_row(self, slug: str) -> TenantLocation:
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
