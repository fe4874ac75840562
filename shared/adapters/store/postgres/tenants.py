"""Tenants in PostgreSQL: a database, a schema and a role per tenant, created resumably.

``CREATE DATABASE`` cannot run inside a transaction, so provisioning is a sequence of steps that
are each idempotent: the platform row first (``provisioned_at`` NULL until the end), then the
role, the database and, inside it, the schema and the tenant migrations. A failed or interrupted
provisioning is resumed by provisioning the same slug again; until it finishes the tenant is
``provisioning`` in the listing and cannot be located.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from psycopg import sql

from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.migrations import (
    migrate_platform,
    migrate_tenant,
    tenant_record,
)
from shared.adapters.store.postgres.roles import grant_app_role
from shared.domain.errors import Conflict, TenantBusy, TenantNotFound
from shared.domain.task import ACTIVE_TASK_STATUSES
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
        with self._exclusive(slug):
            resuming = self._claim(slug, display_name, settings, location)
            try:
                self._create_role_and_database(location, resuming)
            except Conflict:
                with self._admin.connection() as conn:
                    conn.execute("DELETE FROM platform.tenants WHERE slug = %s", (slug,))
                raise
            self._migrate(location)
            with self._admin.connection() as conn:
                conn.execute(
                    "UPDATE platform.tenants SET provisioned_at = now() WHERE slug = %s", (slug,)
                )
        return self.get(slug)

    @contextmanager
    def _exclusive(self, slug: str) -> Iterator[None]:
        """One provisioning or deprovisioning of ``slug`` at a time, across processes (a
        session advisory lock, as the steps span several transactions and databases: the
        provisioner connects directly, never through a transaction-mode PgBouncer)."""
        with self._admin.connection() as conn:
            key = f"provision:{slug}"
            row = conn.execute("SELECT pg_try_advisory_lock(hashtext(%s)) AS ok", (key,))
            if not row.fetchone() == {"ok": True}:
                raise Conflict(
                    f"tenant {slug!r} is being changed by another process", code="tenant-busy"
                )
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))

    def _claim(
        self, slug: str, name: str, settings: dict[str, Any] | None, location: TenantLocation
    ) -> bool:
        """Insert the platform row; ``True`` when an unfinished provisioning is resumed."""
        with self._admin.transaction() as conn:
            row = conn.execute(
                "INSERT INTO platform.tenants (slug, display_name, schema_name, role_name,"
                " database_name, settings) VALUES (%s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (slug) DO NOTHING RETURNING slug",
                (
                    slug,
                    name,
                    location.schema,
                    location.role,
                    location.database,
                    json.dumps(settings or {}),
                ),
            ).fetchone()
            if row is None:
                prior = conn.execute(
                    "SELECT provisioned_at FROM platform.tenants WHERE slug = %s FOR UPDATE",
                    (slug,),
                ).fetchone()
                if prior is None or prior["provisioned_at"] is not None:
                    raise Conflict(f"tenant {slug!r} already exists", code="tenant-exists")
                return True
            conn.execute("INSERT INTO platform.quotas (tenant) VALUES (%s)", (slug,))
            return False

    def _create_role_and_database(self, location: TenantLocation, resuming: bool) -> None:
        role, database = sql.Identifier(location.role), sql.Identifier(str(location.database))
        app = sql.Identifier(self._db.login_role())
        with self._admin.connection() as conn:
            found = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) AS role,"
                " EXISTS (SELECT 1 FROM pg_database WHERE datname = %s) AS db",
                (location.role, location.database),
            ).fetchone()
            assert found is not None
            if not resuming and (found["role"] or (found["db"] and self._holds_data(location))):
                raise Conflict(
                    f"a database role or tenant data for {location.slug!r} already exists",
                    code="tenant-exists",
                )
            if not found["role"]:
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN NOINHERIT").format(role))
            conn.execute(sql.SQL("GRANT {} TO {}").format(role, app))
            if not found["db"]:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(database))
            conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))
            conn.execute(
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}, {}").format(database, role, app)
            )

    def _holds_data(self, location: TenantLocation) -> bool:
        """Whether an existing tenant database already has a tenant schema. An empty one (the
        TenantStack creates the database in Azure) is adopted."""
        with self._admin.connect(str(location.database)) as conn:
            row = conn.execute("SELECT to_regnamespace(%s) AS s", (location.schema,)).fetchone()
        return row is not None and row["s"] is not None

    def _migrate(self, location: TenantLocation) -> list[str]:
        """Bring the tenant's database up to date, then mirror its record into the platform's."""
        with self._admin.connect(str(location.database)) as conn:
            with conn.transaction():
                conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                        sql.Identifier(location.schema)
                    )
                )
                conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
                done = migrate_tenant(conn, location)
            record = tenant_record(conn)
        with self._admin.transaction() as conn:
            for row in record:
                conn.execute(
                    "INSERT INTO platform.schema_migrations (scope, version, name, checksum)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT (scope, version)"
                    " DO UPDATE SET checksum = EXCLUDED.checksum",
                    (f"tenant:{location.slug}", row["version"], row["name"], row["checksum"]),
                )
        return done

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
            done.extend(self._migrate(_location(row)))
        return done

    def deprovision(self, slug: str) -> None:
        """Drop the tenant's database and role, then its platform rows; resumable too."""
        try:
            with self._exclusive(slug):
                self._deprovision(self._location_row(slug))
        finally:
            with self._located_lock:
                self._located.pop(slug, None)

    def _deprovision(self, location: TenantLocation) -> None:
        slug, database = location.slug, str(location.database)
        with self._admin.connection() as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
            ).fetchone()
        if exists is not None:
            self._refuse_if_busy(location)
        self._db.forget(database)
        self._admin.forget(database)
        with self._admin.connection() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(location.role)))
            with conn.transaction():
                conn.execute(
                    "DELETE FROM platform.schema_migrations WHERE scope = %s", (f"tenant:{slug}",)
                )
                conn.execute("DELETE FROM platform.tenants WHERE slug = %s", (slug,))

    def _refuse_if_busy(self, location: TenantLocation) -> None:
        with self._admin.connect(str(location.database)) as conn:
            table = conn.execute(
                "SELECT to_regclass(%s) AS t", (f"{location.schema}.tasks",)
            ).fetchone()
            if table is None or table["t"] is None:  # provisioning stopped before the migrations
                return
            active = conn.execute(
                sql.SQL("SELECT count(*) AS n FROM {}.tasks WHERE status = ANY(%s)").format(
                    sql.Identifier(location.schema)
                ),
                ([str(s) for s in ACTIVE_TASK_STATUSES],),
            ).fetchone()
        if active and int(str(active["n"])) > 0:
            raise TenantBusy(
                f"tenant {location.slug!r} has {active['n']} active task(s); cancel them first"
            )

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
