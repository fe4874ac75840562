"""The provisioner's side of a tenant: its role, database, schema and migrations, and their drop.

Split from ``tenants`` (the directory that callers read) because these steps run as the
provisioner (``admin``: CREATEDB and CREATEROLE, owner of databases, roles and objects) and each
is idempotent on its own: ``CREATE DATABASE`` cannot run inside a transaction, so the directory
strings them together resumably under :meth:`TenantProvisioning.exclusive`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from psycopg import sql

from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.migrations import migrate_tenant, tenant_record
from shared.domain.errors import Conflict, TenantBusy
from shared.domain.task import ACTIVE_TASK_STATUSES
from shared.domain.tenant import TenantLocation


class TenantProvisioning:
    """Steps run as ``admin``; ``app`` is the login the platform serves requests with, which is
    granted each tenant role (and ``CONNECT`` on its database) but owns nothing."""

    def __init__(self, app: Database, admin: Database) -> None:
        self._app = app
        self._admin = admin

    @contextmanager
    def exclusive(self, slug: str) -> Iterator[None]:
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

    def claim(
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

    def release(self, slug: str) -> None:
        """Give up a claim whose role or database turned out to belong to someone else."""
        with self._admin.connection() as conn:
            conn.execute("DELETE FROM platform.tenants WHERE slug = %s", (slug,))

    def finish(self, slug: str) -> None:
        """Mark the tenant provisioned: from now on it can be located."""
        with self._admin.connection() as conn:
            conn.execute(
                "UPDATE platform.tenants SET provisioned_at = now() WHERE slug = %s", (slug,)
            )

    def create_role_and_database(self, location: TenantLocation, resuming: bool) -> None:
        role, database = sql.Identifier(location.role), sql.Identifier(str(location.database))
        app = sql.Identifier(self._app.login_role())
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

    def migrate(self, location: TenantLocation) -> list[str]:
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

    def drop(self, location: TenantLocation) -> None:
        """Drop the tenant's database and role, then its platform rows (each step idempotent);
        refused while the tenant has active tasks."""
        slug, database = location.slug, str(location.database)
        with self._admin.connection() as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
            ).fetchone()
        if exists is not None:
            self._refuse_if_busy(location)
        self._app.forget(database)
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
