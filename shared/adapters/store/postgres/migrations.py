"""A small migration runner: versioned SQL files, applied once, recorded and checksummed.

Platform migrations (``migrations/platform/NNNN_name.sql``) build the ``platform`` schema of the
platform database; tenant migrations (``migrations/tenant/NNNN_name.sql``) are a template applied
inside each tenant's schema, in the tenant's own database. Every applied file is recorded with its
SHA-256 in the same transaction: in ``platform.schema_migrations`` (scope ``platform``) or in the
tenant database's ``migrations.schema_migrations`` (scope ``tenant``), which the tenant directory
mirrors into the platform's table under ``tenant:<slug>`` for readiness checks. An applied file
whose content changed is refused with ``MigrationChecksumMismatch`` before anything else runs.
Runs hold an advisory lock, so several processes starting at once apply each file exactly once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from shared.domain.errors import MigrationChecksumMismatch, MigrationError
from shared.domain.tenant import TenantLocation

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x41434101  # advisory lock id for migrations ("ACA" + 1)

Conn = psycopg.Connection[dict[str, object]]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str
    checksum: str


def load_migrations(kind: str, directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations of ``kind`` (``platform`` or ``tenant``), ordered by version."""
    found: list[Migration] = []
    for path in sorted((directory / kind).glob("*.sql")):
        match = _FILE.match(path.name)
        if not match:
            raise MigrationError(f"bad migration file name {path.name!r}: want NNNN_name.sql")
        text = path.read_bytes()
        found.append(
            Migration(
                version=int(match.group(1)),
                name=match.group(2),
                sql=text.decode("utf-8"),
                checksum=hashlib.sha256(text).hexdigest(),
            )
        )
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate {kind} migration versions: {versions}")
    return found


TENANT_BOOKKEEPING = "migrations"  # the schema of a tenant database's own record


def _ensure_bookkeeping(conn: Conn, schema: str = "platform") -> None:
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
    name = sql.Identifier(schema)
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(name))
    conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(name))
    conn.execute(
        sql.SQL(
            """CREATE TABLE IF NOT EXISTS {}.schema_migrations (
               scope text NOT NULL, version integer NOT NULL, name text NOT NULL,
               checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
               PRIMARY KEY (scope, version))"""
        ).format(name)
    )


def _applied(conn: Conn, scope: str, schema: str = "platform") -> dict[int, str]:
    rows = conn.execute(
        sql.SQL("SELECT version, checksum FROM {}.schema_migrations WHERE scope = %s").format(
            sql.Identifier(schema)
        ),
        (scope,),
    ).fetchall()
    return {int(str(r["version"])): str(r["checksum"]) for r in rows}


def _pending(applied: dict[int, str], migrations: list[Migration], scope: str) -> list[Migration]:
    for m in migrations:
        if m.version in applied and applied[m.version] != m.checksum:
            raise MigrationChecksumMismatch(
                f"{scope} migration {m.version:04d}_{m.name} was edited after it was applied "
                f"(recorded sha256 {applied[m.version][:12]}…, file {m.checksum[:12]}…); "
                "add a new migration instead"
            )
    return [m for m in migrations if m.version not in applied]


def _apply(conn: Conn, scope: str, migration: Migration, schema: str = "platform") -> None:
    try:
        conn.execute(migration.sql.encode("utf-8"))  # type: ignore[call-overload]
    except psycopg.Error as exc:
        raise MigrationError(
            f"{scope} migration {migration.version:04d}_{migration.name} failed: {exc}"
        ) from exc
    conn.execute(
        sql.SQL(
            "INSERT INTO {}.schema_migrations (scope, version, name, checksum) "
            "VALUES (%s, %s, %s, %s)"
        ).format(sql.Identifier(schema)),
        (scope, migration.version, migration.name, migration.checksum),
    )


def migrate_platform(conn: Conn, migrations: list[Migration] | None = None) -> list[str]:
    """Apply pending platform migrations in the platform database (tenant databases are
    migrated by the tenant directory, one database at a time).

    Runs in the caller's transaction (all or nothing). Returns what was applied.
    """
    _ensure_bookkeeping(conn)
    done: list[str] = []
    for m in _pending(_applied(conn, "platform"), migrations or load_migrations("platform"), ""):
        _apply(conn, "platform", m)
        done.append(f"platform {m.version:04d}_{m.name}")
    return done


def migrate_tenant(
    conn: Conn, location: TenantLocation, migrations: list[Migration] | None = None
) -> list[str]:
    """Apply pending tenant migrations inside ``location.schema``, on a connection to the
    tenant's database in the caller's transaction, and (re)grant the tenant role.

    The connection's role (the provisioner) owns the objects; the tenant role gets DML on them,
    except UPDATE/DELETE on append-only tables (names ending in ``_events``: SELECT and INSERT
    only) and internal ones (names starting with ``internal_``: SELECT only).
    """
    _ensure_bookkeeping(conn, TENANT_BOOKKEEPING)
    applied = _applied(conn, "tenant", TENANT_BOOKKEEPING)
    label = f"tenant:{location.slug}"
    pending = _pending(applied, migrations or load_migrations("tenant"), label)
    done: list[str] = []
    if pending:
        conn.execute(
            sql.SQL("SET LOCAL search_path TO {}, pg_catalog").format(
                sql.Identifier(location.schema)
            )
        )
        for m in pending:
            _apply(conn, "tenant", m, TENANT_BOOKKEEPING)
            done.append(f"{label} {m.version:04d}_{m.name}")
        conn.execute("SET LOCAL search_path TO DEFAULT")
    grant_tenant_role(conn, location)
    return done


def tenant_record(conn: Conn) -> list[dict[str, object]]:
    """The tenant database's record of applied migrations (to mirror into the platform's)."""
    return conn.execute(
        sql.SQL(
            "SELECT version, name, checksum FROM {}.schema_migrations WHERE scope = 'tenant'"
        ).format(sql.Identifier(TENANT_BOOKKEEPING))
    ).fetchall()


def grant_tenant_role(conn: Conn, location: TenantLocation) -> None:
    schema, role = sql.Identifier(location.schema), sql.Identifier(location.role)
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, role))
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(
            schema, role
        )
    )
    conn.execute(
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, role)
    )
    restricted = conn.execute(
        "SELECT tablename, tablename LIKE 'internal\\_%%' AS internal FROM pg_tables "
        "WHERE schemaname = %s "
        "AND (tablename LIKE '%%\\_events' OR tablename LIKE 'internal\\_%%')",
        (location.schema,),
    ).fetchall()
    for row in restricted:
        revoked = (
            "INSERT, UPDATE, DELETE, TRUNCATE" if row["internal"] else "UPDATE, DELETE, TRUNCATE"
        )
        conn.execute(
            sql.SQL("REVOKE " + revoked + " ON {}.{} FROM {}").format(
                schema, sql.Identifier(str(row["tablename"])), role
            )
        )


def pending_migrations(conn: Conn) -> list[str]:
    """Platform and tenant migrations not yet applied (for readiness checks)."""
    exists = conn.execute("SELECT to_regclass('platform.schema_migrations') AS t").fetchone()
    if not exists or exists["t"] is None:
        return [f"platform {m.version:04d}" for m in load_migrations("platform")]
    missing = [
        f"platform {m.version:04d}"
        for m in load_migrations("platform")
        if m.version not in _applied(conn, "platform")
    ]
    tenant_versions = {m.version for m in load_migrations("tenant")}
    rows = conn.execute(
        "SELECT t.slug, count(s.version) AS n FROM platform.tenants t "
        "LEFT JOIN platform.schema_migrations s ON s.scope = 'tenant:' || t.slug "
        "GROUP BY t.slug"
    ).fetchall()
    missing.extend(f"tenant:{r['slug']}" for r in rows if int(str(r["n"])) < len(tenant_versions))
    return missing
