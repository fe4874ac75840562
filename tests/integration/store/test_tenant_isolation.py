"""Isolation is enforced by PostgreSQL: a tenant's role can touch only its own schema."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from shared.adapters.store.postgres.database import Database
from shared.adapters.store.postgres.tenants import PostgresTenantDirectory
from shared.domain.errors import Conflict, InvalidTenantSlug, TenantBusy, TenantNotFound


@pytest.fixture(scope="module")
def three(tenant_directory: PostgresTenantDirectory) -> list[str]:
    import secrets

    slugs = [f"iso{n}-{secrets.token_hex(3)}" for n in "abc"]
    for slug in slugs:
        tenant_directory.provision(slug, slug)
    return slugs


def _insert_task(conn: psycopg.Connection, schema: str | None, task_id: str) -> None:
    table = sql.Identifier(schema, "tasks") if schema else sql.Identifier("tasks")
    conn.execute(
        sql.SQL(
            "INSERT INTO {} (id, provider, repository, source_kind, source_id, command, requester)"
            " VALUES (%s, 'github', 'o/r', 'issue', '1', 'fix', 'u')"
        ).format(table),
        (task_id,),
    )


def test_each_tenant_role_works_in_its_own_schema(db: Database, tenant_directory, three) -> None:
    for slug in three:
        with db.tenant_transaction(tenant_directory.locate(slug)) as tx:
            _insert_task(tx.conn, None, f"own-{slug}")
            rows = tx.conn.execute("SELECT id FROM tasks").fetchall()
        assert [r["id"] for r in rows] == [f"own-{slug}"]


@pytest.mark.parametrize(
    ("reader", "owner"), [(r, o) for r in range(3) for o in range(3) if r != o]
)
@pytest.mark.parametrize("operation", ["select", "insert", "update", "delete"])
def test_no_tenant_role_can_touch_another_tenants_tables(
    db: Database, tenant_directory, three, reader: int, owner: int, operation: str
) -> None:
    me, other = tenant_directory.locate(three[reader]), tenant_directory.locate(three[owner])
    table = sql.Identifier(other.schema, "tasks")
    statements = {
        "select": sql.SQL("SELECT * FROM {}").format(table),
        "update": sql.SQL("UPDATE {} SET status = 'failed'").format(table),
        "delete": sql.SQL("DELETE FROM {}").format(table),
    }
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.tenant_transaction(me) as tx:
        if operation == "insert":
            _insert_task(tx.conn, other.schema, "intruder")
        else:
            tx.conn.execute(statements[operation])


@pytest.mark.parametrize(
    "table", ["tenants", "scm_connections", "webhook_deliveries", "quotas", "schema_migrations"]
)
def test_tenant_role_cannot_read_the_platform_schema(db, tenant_directory, three, table) -> None:
    me = tenant_directory.locate(three[0])
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.tenant_transaction(me) as tx:
        tx.conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier("platform", table)))


def test_role_is_reset_after_a_tenant_transaction(db: Database, tenant_directory, three) -> None:
    with db.tenant_transaction(tenant_directory.locate(three[0])):
        pass
    with db.connection() as conn:
        row = conn.execute("SELECT current_user = session_user AS same").fetchone()
    assert row is not None and row["same"] is True


@pytest.mark.parametrize(
    "slug",
    ["A-upper", "1starts-with-digit", "x", "has_underscore", "semi;colon", 'q"uote', "a" * 42, ""],
)
def test_invalid_slug_is_refused_and_nothing_is_created(db, tenant_directory, slug) -> None:
    with pytest.raises(InvalidTenantSlug):
        tenant_directory.provision(slug, "bad")
    with db.connection() as conn:
        row = conn.execute("SELECT count(*) AS n FROM platform.tenants WHERE slug = %s", (slug,))
        assert row.fetchone()["n"] == 0


def test_failed_provisioning_leaves_nothing_half_applied(db, tenant_directory, role_prefix):
    import secrets

    slug = f"half-{secrets.token_hex(3)}"
    # A role of that name already exists: provisioning fails after the tenant row was inserted.
    with db.connection() as conn:
        conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role_prefix + slug)))
    try:
        with pytest.raises(Conflict):
            tenant_directory.provision(slug, "half")
        with db.connection() as conn:
            assert (
                conn.execute(
                    "SELECT count(*) AS n FROM platform.tenants WHERE slug = %s", (slug,)
                ).fetchone()["n"]
                == 0
            )
            schema = f"tenant_{slug.replace('-', '_')}"
            assert (
                conn.execute("SELECT to_regnamespace(%s) AS s", (schema,)).fetchone()["s"] is None
            )
    finally:
        with db.connection() as conn:
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role_prefix + slug)))


def test_duplicate_tenant_is_a_conflict(tenant_directory, new_tenant) -> None:
    tenant = new_tenant("dup")
    with pytest.raises(Conflict):
        tenant_directory.provision(tenant.slug, "again")


def test_deprovision_refuses_while_tasks_run_then_removes_everything(
    db: Database, tenant_directory, new_tenant
) -> None:
    tenant = new_tenant("gone")
    location = tenant_directory.locate(tenant.slug)
    with db.tenant_transaction(location) as tx:
        _insert_task(tx.conn, None, "running-1")
        tx.conn.execute("UPDATE tasks SET status = 'running'")
    with pytest.raises(TenantBusy):
        tenant_directory.deprovision(tenant.slug)
    assert tenant_directory.get(tenant.slug).slug == tenant.slug
    with db.tenant_transaction(location) as tx:
        tx.conn.execute("UPDATE tasks SET status = 'completed'")
    tenant_directory.deprovision(tenant.slug)
    with pytest.raises(TenantNotFound):
        tenant_directory.get(tenant.slug)
    with db.connection() as conn:
        row = conn.execute(
            "SELECT to_regnamespace(%s) AS s, (SELECT count(*) FROM pg_roles WHERE rolname = %s)"
            " AS roles",
            (location.schema, location.role),
        ).fetchone()
    assert row["s"] is None and row["roles"] == 0
